package io.honua.db.intake;

import io.honua.db.core.ConflictException;

/** The manifest version is published and therefore immutable (refused by the database): create a new version instead. Nothing was changed. */
public class ManifestPublishedException extends ConflictException {

    private static final long serialVersionUID = 1L;

    public ManifestPublishedException(String message) {
        super(message);
    }

    public ManifestPublishedException(String message, Throwable cause) {
        super(message, cause);
    }
}
