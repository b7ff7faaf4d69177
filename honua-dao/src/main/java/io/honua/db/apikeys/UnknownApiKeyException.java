package io.honua.db.apikeys;

import io.honua.db.core.NotFoundException;

/** The customer has no API key with this id. Nothing was changed. */
public class UnknownApiKeyException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownApiKeyException(String message) {
        super(message);
    }
}
