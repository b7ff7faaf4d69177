package io.honua.db.crypto;

import io.honua.db.core.NotFoundException;

/** The key provider has no master key with the requested key id. Nothing was encrypted, decrypted or changed. */
public class UnknownKeyException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownKeyException(String message) {
        super(message);
    }
}
