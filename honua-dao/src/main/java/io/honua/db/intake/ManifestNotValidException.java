package io.honua.db.intake;

import io.honua.db.core.ConflictException;

/** The manifest is not validated as valid, so it cannot be published or built. Nothing was changed. */
public class ManifestNotValidException extends ConflictException {

    private static final long serialVersionUID = 1L;

    public ManifestNotValidException(String message) {
        super(message);
    }

    public ManifestNotValidException(String message, Throwable cause) {
        super(message, cause);
    }
}
