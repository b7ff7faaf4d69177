package io.honua.db.internal;

import io.honua.db.crypto.DecryptionException;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.crypto.UnknownKeyException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope encryption with AES-256-GCM: every secret gets its own random 256-bit data key, which is wrapped by the
 * {@link KeyProvider} under a master key id; the key id is stored beside the ciphertext (in the row's
 * {@code encryption_key_id} column), not inside it.
 *
 * <p><b>Ciphertext format, version 1</b> (all integers big-endian):
 * <pre>
 *   offset  size  field
 *   0       3     magic "HNE" (0x48 0x4E 0x45)
 *   3       1     format version, 0x01
 *   4       2     W = length of the wrapped data key (1..4096)
 *   6       W     wrapped data key, as returned by KeyProvider.wrapKey(keyId, dataKey)
 *   6+W     12    random GCM nonce
 *   18+W    n+16  AES-256-GCM ciphertext of the n plaintext bytes, followed by the 16-byte tag
 * </pre>
 * The associated data authenticated with the ciphertext is: bytes 0..6+W of the header, the UTF-8 key id, a 0 byte,
 * and the caller's context (e.g. {@code "honua:registry_credential:<customer>"}). So changing any byte, the key id
 * stored beside it, or moving the ciphertext to another context makes {@link #open} throw
 * {@link DecryptionException}; nothing is ever returned unauthenticated. Thread-safe.
 */
public final class EnvelopeCipher {

    /** Current format version written by {@link #seal}. */
    public static final int VERSION = 1;

    private static final byte[] MAGIC = {0x48, 0x4E, 0x45};
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final int MAX_WRAPPED = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeyProvider keys;

    public EnvelopeCipher(KeyProvider keys) {
        this.keys = Checks.notNull(keys, "keys");
    }

    public KeyProvider keys() {
        return keys;
    }

    /** Encrypts under the provider's current key id. */
    public Sealed seal(byte[] plaintext, String context) {
        return seal(keys.currentKeyId(), plaintext, context);
    }

    /**
     * Encrypts {@code plaintext} with a fresh data key wrapped under {@code keyId}.
     *
     * @throws UnknownKeyException when the provider has no such key
     */
    public Sealed seal(String keyId, byte[] plaintext, String context) {
        Checks.text(keyId, "keyId", 200);
        Checks.notNull(plaintext, "plaintext");
        Checks.notNull(context, "context");
        byte[] dataKey = new byte[32];
        RANDOM.nextBytes(dataKey);
        try {
            byte[] wrapped = keys.wrapKey(keyId, dataKey);
            if (wrapped == null || wrapped.length == 0 || wrapped.length > MAX_WRAPPED) {
                throw new IllegalStateException("key provider returned a wrapped key of unusable length");
            }
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            byte[] header = ByteBuffer.allocate(6 + wrapped.length).put(MAGIC).put((byte) VERSION)
                    .putShort((short) wrapped.length).put(wrapped).array();
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(header, keyId, context));
            byte[] body = c.doFinal(plaintext);
            byte[] out = ByteBuffer.allocate(header.length + NONCE + body.length).put(header).put(nonce).put(body).array();
            return new Sealed(keyId, out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        } finally {
            Arrays.fill(dataKey, (byte) 0);
        }
    }

    /**
     * Decrypts what {@link #seal} produced under {@code keyId} with the same context.
     *
     * @throws DecryptionException  wrong key id, wrong context, unknown format or tampered bytes
     * @throws UnknownKeyException  when the provider has no such key
     */
    public byte[] open(String keyId, byte[] sealed, String context) {
        Checks.text(keyId, "keyId", 200);
        Checks.notNull(sealed, "sealed");
        Checks.notNull(context, "context");
        if (sealed.length < 6 || sealed[0] != MAGIC[0] || sealed[1] != MAGIC[1] || sealed[2] != MAGIC[2]) {
            throw new DecryptionException("not a Honua envelope ciphertext");
        }
        if (sealed[3] != VERSION) {
            throw new DecryptionException("unsupported envelope format version " + sealed[3]);
        }
        int w = ((sealed[4] & 0xff) << 8) | (sealed[5] & 0xff);
        if (w == 0 || w > MAX_WRAPPED || sealed.length < 6 + w + NONCE + TAG_BITS / 8) {
            throw new DecryptionException("truncated envelope ciphertext");
        }
        byte[] header = Arrays.copyOfRange(sealed, 0, 6 + w);
        byte[] wrapped = Arrays.copyOfRange(sealed, 6, 6 + w);
        byte[] dataKey = keys.unwrapKey(keyId, wrapped);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(dataKey, "AES"), new GCMParameterSpec(TAG_BITS, sealed, 6 + w, NONCE));
            c.updateAAD(aad(header, keyId, context));
            return c.doFinal(sealed, 6 + w + NONCE, sealed.length - 6 - w - NONCE);
        } catch (AEADBadTagException e) {
            throw new DecryptionException("ciphertext does not authenticate (tampered, wrong key id or wrong context)", e);
        } catch (GeneralSecurityException e) {
            throw new DecryptionException("ciphertext does not decrypt: " + e.getMessage(), e);
        } finally {
            Arrays.fill(dataKey, (byte) 0);
        }
    }

    /** UTF-8 convenience for {@link #seal(String, byte[], String)}. */
    public Sealed sealText(String keyId, String plaintext, String context) {
        return seal(keyId, Checks.notNull(plaintext, "plaintext").getBytes(StandardCharsets.UTF_8), context);
    }

    /** UTF-8 convenience for {@link #open}. */
    public String openText(String keyId, byte[] sealed, String context) {
        return new String(open(keyId, sealed, context), StandardCharsets.UTF_8);
    }

    private static byte[] aad(byte[] header, String keyId, String context) {
        byte[] id = keyId.getBytes(StandardCharsets.UTF_8);
        byte[] ctx = context.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(header.length + id.length + 1 + ctx.length).put(header).put(id).put((byte) 0).put(ctx).array();
    }

    /** A ciphertext and the key id its data key is wrapped under (store both). */
    public record Sealed(String keyId, byte[] ciphertext) {

        @Override
        public String toString() {
            return "Sealed[keyId=" + keyId + ", " + ciphertext.length + " bytes]";
        }
    }
}
