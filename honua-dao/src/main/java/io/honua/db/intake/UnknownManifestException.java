package io.honua.db.intake;

import io.honua.db.core.NotFoundException;

/** No build manifest with this id exists. Nothing was changed. */
public class UnknownManifestException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownManifestException(String message) {
        super(message);
    }

    public UnknownManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
