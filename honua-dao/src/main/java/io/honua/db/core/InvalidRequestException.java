package io.honua.db.core;

/** The request itself is wrong (out-of-range value, missing id, malformed JSON). Nothing was changed. */
public class InvalidRequestException extends HonuaException {

    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
