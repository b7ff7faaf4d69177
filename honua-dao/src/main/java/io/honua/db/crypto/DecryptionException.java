package io.honua.db.crypto;

import io.honua.db.core.HonuaException;

/**
 * A ciphertext could not be decrypted: it was encrypted under another key, its key id was changed, or it was
 * tampered with (the AES-GCM tag does not verify). No plaintext is ever returned in that case.
 */
public class DecryptionException extends HonuaException {

    private static final long serialVersionUID = 1L;

    public DecryptionException(String message) {
        super(message);
    }

    public DecryptionException(String message, Throwable cause) {
        super(message, cause);
    }
}
