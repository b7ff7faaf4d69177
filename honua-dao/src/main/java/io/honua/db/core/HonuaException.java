package io.honua.db.core;

/** Base of every exception Honua DB throws on purpose. Unchecked; the subtype says what went wrong. */
public class HonuaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public HonuaException(String message) {
        super(message);
    }

    public HonuaException(String message, Throwable cause) {
        super(message, cause);
    }
}
