package io.honua.db.queue;

import io.honua.db.core.NotFoundException;

/** No build with this id exists. */
public class UnknownBuildException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownBuildException(String message) {
        super(message);
    }

    public UnknownBuildException(String message, Throwable cause) {
        super(message, cause);
    }
}
