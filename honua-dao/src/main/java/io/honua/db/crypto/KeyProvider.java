package io.honua.db.crypto;

import io.honua.db.internal.EnvelopeCipher;

/**
 * Master keys, named by key id, that wrap (encrypt) and unwrap the per-secret data keys of {@link EnvelopeCipher}.
 * The master keys themselves never leave the provider: a KMS or vault implementation sends the data key to the
 * service and gets it back encrypted ("encrypt / decrypt data key by key id"), exactly as {@link LocalKeyProvider}
 * does in memory.
 *
 * <p>Contract: {@code unwrapKey(id, wrapKey(id, k))} returns {@code k}; unwrapping under another key id, or a wrapped
 * key that was modified, throws {@link DecryptionException}; an id the provider does not know throws
 * {@link UnknownKeyException}. Implementations must be thread-safe.
 */
public interface KeyProvider {

    /** The key id new secrets are encrypted under. */
    String currentKeyId();

    /** Whether this provider can wrap and unwrap under {@code keyId}. */
    boolean hasKey(String keyId);

    /**
     * Encrypts a data key under master key {@code keyId}.
     *
     * @throws UnknownKeyException when the provider has no such key
     */
    byte[] wrapKey(String keyId, byte[] dataKey);

    /**
     * Decrypts a data key that {@link #wrapKey} produced under {@code keyId}.
     *
     * @throws UnknownKeyException when the provider has no such key
     * @throws DecryptionException when the wrapped key was not made under this key id or was modified
     */
    byte[] unwrapKey(String keyId, byte[] wrappedKey);
}
