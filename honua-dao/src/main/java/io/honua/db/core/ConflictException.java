package io.honua.db.core;

/** The request is well formed but the current state does not allow it. Nothing was changed. */
public class ConflictException extends HonuaException {

    private static final long serialVersionUID = 1L;

    public ConflictException(String message) {
        super(message);
    }

    public ConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
