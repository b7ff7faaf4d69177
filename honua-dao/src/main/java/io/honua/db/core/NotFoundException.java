package io.honua.db.core;

/** Something the request refers to does not exist. Nothing was changed. */
public class NotFoundException extends HonuaException {

    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }

    public NotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
