package io.honua.db.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.EnvelopeCipher;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EnvelopeCipherTest {

    final LocalKeyProvider keys = LocalKeyProvider.generate("k1").withGeneratedKey("k2");
    final EnvelopeCipher cipher = new EnvelopeCipher(keys);

    @Test
    void roundTripUnderEachKey() {
        for (String id : new String[] {"k1", "k2"}) {
            EnvelopeCipher.Sealed s = cipher.sealText(id, "s3cr3t-ü-\u0000-end", "ctx");
            assertThat(s.keyId()).isEqualTo(id);
            assertThat(cipher.openText(id, s.ciphertext(), "ctx")).isEqualTo("s3cr3t-ü-\u0000-end");
        }
        assertThat(cipher.open("k1", cipher.seal("k1", new byte[0], "").ciphertext(), "")).isEmpty();
    }

    @Test
    void formatIsVersionedAndRandomised() {
        byte[] plain = "same plaintext".getBytes(StandardCharsets.UTF_8);
        byte[] a = cipher.seal("k1", plain, "ctx").ciphertext();
        byte[] b = cipher.seal("k1", plain, "ctx").ciphertext();
        assertThat(Arrays.copyOf(a, 4)).containsExactly(0x48, 0x4E, 0x45, EnvelopeCipher.VERSION);
        int wrapped = ((a[4] & 0xff) << 8) | (a[5] & 0xff);
        assertThat(a.length).isEqualTo(6 + wrapped + 12 + plain.length + 16);
        assertThat(a).isNotEqualTo(b);   // fresh data key and nonce each time
        assertThat(new String(a, StandardCharsets.ISO_8859_1)).doesNotContain("same plaintext");
    }

    @Test
    void wrongKeyIdIsRefused() {
        byte[] c = cipher.sealText("k1", "secret", "ctx").ciphertext();
        assertThatThrownBy(() -> cipher.open("k2", c, "ctx")).isInstanceOf(DecryptionException.class);
        assertThatThrownBy(() -> cipher.open("nope", c, "ctx")).isInstanceOf(UnknownKeyException.class);
        // a provider with another key under the same id cannot decrypt either
        EnvelopeCipher other = new EnvelopeCipher(LocalKeyProvider.generate("k1"));
        assertThatThrownBy(() -> other.open("k1", c, "ctx")).isInstanceOf(DecryptionException.class);
    }

    @Test
    void wrongContextIsRefused() {
        byte[] c = cipher.sealText("k1", "secret", "honua:registry_credential:a").ciphertext();
        assertThatThrownBy(() -> cipher.open("k1", c, "honua:registry_credential:b")).isInstanceOf(DecryptionException.class);
    }

    @Test
    void everyTamperedByteIsDetected() {
        byte[] c = cipher.sealText("k1", "secret value", "ctx").ciphertext();
        for (int i = 0; i < c.length; i++) {
            byte[] t = c.clone();
            t[i] ^= 0x01;
            int at = i;
            assertThatThrownBy(() -> cipher.open("k1", t, "ctx")).as("flipped byte %d", at).isInstanceOf(DecryptionException.class);
        }
        assertThatThrownBy(() -> cipher.open("k1", Arrays.copyOf(c, c.length - 1), "ctx")).isInstanceOf(DecryptionException.class);
        assertThatThrownBy(() -> cipher.open("k1", new byte[] {1, 2, 3}, "ctx")).isInstanceOf(DecryptionException.class);
    }

    @Test
    void localProviderRules() {
        assertThat(keys.currentKeyId()).isEqualTo("k1");
        assertThat(keys.withCurrent("k2").currentKeyId()).isEqualTo("k2");
        assertThat(keys.without("k2").hasKey("k2")).isFalse();
        assertThat(keys.toString()).contains("k1").doesNotContain("SecretKeySpec");
        assertThatThrownBy(() -> keys.without("k1")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> LocalKeyProvider.builder().key("x", new byte[16])).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> LocalKeyProvider.builder().generateKey("x").current("y").build())
                .isInstanceOf(InvalidRequestException.class);
        byte[] wrapped = keys.wrapKey("k1", new byte[32]);
        assertThatThrownBy(() -> keys.unwrapKey("k2", wrapped)).isInstanceOf(DecryptionException.class);
        assertThatThrownBy(() -> cipher.seal("k1", null, "ctx")).isInstanceOf(InvalidRequestException.class);
    }
}
