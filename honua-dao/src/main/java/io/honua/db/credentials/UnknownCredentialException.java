package io.honua.db.credentials;

import io.honua.db.core.NotFoundException;

/** The customer has no credential with this id. Nothing was changed. */
public class UnknownCredentialException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownCredentialException(String message) {
        super(message);
    }
}
