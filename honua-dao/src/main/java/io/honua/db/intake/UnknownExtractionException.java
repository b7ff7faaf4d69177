package io.honua.db.intake;

import io.honua.db.core.NotFoundException;

/** No requirement extraction with this id exists. Nothing was changed. */
public class UnknownExtractionException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownExtractionException(String message) {
        super(message);
    }

    public UnknownExtractionException(String message, Throwable cause) {
        super(message, cause);
    }
}
