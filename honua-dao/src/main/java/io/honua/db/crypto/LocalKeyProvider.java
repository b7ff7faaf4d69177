package io.honua.db.crypto;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A {@link KeyProvider} holding AES-256 master keys in memory, for tests and simple deployments (load the keys from
 * your secret store at start-up). Immutable and thread-safe.
 *
 * <p>Wrapped key format: 12-byte random nonce, then AES-256-GCM of the data key with the key id as associated data
 * (so a wrapped key only unwraps under the key id it was made for), 16-byte tag last.
 *
 * <pre>{@code
 * LocalKeyProvider keys = LocalKeyProvider.builder().key("2026-01", masterKeyBytes).current("2026-01").build();
 * }</pre>
 */
public final class LocalKeyProvider implements KeyProvider {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;

    private final Map<String, SecretKeySpec> keys;
    private final String current;

    private LocalKeyProvider(Map<String, SecretKeySpec> keys, String current) {
        this.keys = Map.copyOf(keys);
        this.current = current;
    }

    /** A provider with one freshly generated random key, current. */
    public static LocalKeyProvider generate(String keyId) {
        return builder().generateKey(keyId).current(keyId).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A copy of this provider with one more, freshly generated, key (not made current). */
    public LocalKeyProvider withGeneratedKey(String keyId) {
        Builder b = new Builder();
        b.keys.putAll(keys);
        return b.generateKey(keyId).current(current).build();
    }

    /** A copy of this provider with {@code keyId} as the current key. */
    public LocalKeyProvider withCurrent(String keyId) {
        if (!keys.containsKey(keyId)) {
            throw new UnknownKeyException("no key " + keyId);
        }
        return new LocalKeyProvider(keys, keyId);
    }

    /** A copy of this provider without {@code keyId} (which must not be the current key). */
    public LocalKeyProvider without(String keyId) {
        if (keyId.equals(current)) {
            throw new InvalidRequestException("cannot remove the current key " + keyId);
        }
        Map<String, SecretKeySpec> copy = new LinkedHashMap<>(keys);
        copy.remove(keyId);
        return new LocalKeyProvider(copy, current);
    }

    public Set<String> keyIds() {
        return keys.keySet();
    }

    @Override
    public String currentKeyId() {
        return current;
    }

    @Override
    public boolean hasKey(String keyId) {
        return keyId != null && keys.containsKey(keyId);
    }

    @Override
    public byte[] wrapKey(String keyId, byte[] dataKey) {
        SecretKeySpec master = key(keyId);
        Checks.notNull(dataKey, "dataKey");
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, master, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(keyId));
            byte[] sealed = c.doFinal(dataKey);
            return ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    @Override
    public byte[] unwrapKey(String keyId, byte[] wrappedKey) {
        SecretKeySpec master = key(keyId);
        Checks.notNull(wrappedKey, "wrappedKey");
        if (wrappedKey.length < NONCE + TAG_BITS / 8) {
            throw new DecryptionException("wrapped key too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, master, new GCMParameterSpec(TAG_BITS, wrappedKey, 0, NONCE));
            c.updateAAD(aad(keyId));
            return c.doFinal(wrappedKey, NONCE, wrappedKey.length - NONCE);
        } catch (AEADBadTagException e) {
            throw new DecryptionException("data key does not unwrap under key " + keyId + " (wrong key or tampered)", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    private SecretKeySpec key(String keyId) {
        Checks.notNull(keyId, "keyId");
        SecretKeySpec k = keys.get(keyId);
        if (k == null) {
            throw new UnknownKeyException("no key " + keyId);
        }
        return k;
    }

    private static byte[] aad(String keyId) {
        return ("honua-local-wrap:" + keyId).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "LocalKeyProvider" + keys.keySet() + " current=" + current;   // never the key material
    }

    /** Collects keys; {@link #build()} needs at least one key and a current key id among them. */
    public static final class Builder {

        private final Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
        private String current;

        private Builder() {
        }

        /** Adds a 32-byte (AES-256) master key; the array is copied. */
        public Builder key(String keyId, byte[] material) {
            Checks.text(keyId, "keyId", 200);
            Checks.notNull(material, "material");
            if (material.length != 32) {
                throw new InvalidRequestException("an AES-256 master key has 32 bytes, got " + material.length);
            }
            keys.put(keyId, new SecretKeySpec(Arrays.copyOf(material, 32), "AES"));
            return this;
        }

        public Builder generateKey(String keyId) {
            byte[] material = new byte[32];
            RANDOM.nextBytes(material);
            return key(keyId, material);
        }

        public Builder current(String keyId) {
            this.current = Checks.text(keyId, "keyId", 200);
            return this;
        }

        public LocalKeyProvider build() {
            if (current == null || !keys.containsKey(current)) {
                throw new InvalidRequestException("the current key id must be one of " + keys.keySet());
            }
            return new LocalKeyProvider(keys, current);
        }
    }
}
