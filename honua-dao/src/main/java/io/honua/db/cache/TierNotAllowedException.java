package io.honua.db.cache;

import io.honua.db.core.ConflictException;

/** The customer's license tier does not allow the requested cache tier (e.g. a free customer registering enterprise). */
public class TierNotAllowedException extends ConflictException {

    private static final long serialVersionUID = 1L;

    public TierNotAllowedException(String message, Throwable cause) {
        super(message, cause);
    }
}
