package io.honua.db.queue;

import io.honua.db.core.ConflictException;

/** The worker does not hold this build (any more): another worker claimed it after the lease expired, or it finished. The worker must stop working on it. */
public class LeaseLostException extends ConflictException {

    private static final long serialVersionUID = 1L;

    public LeaseLostException(String message) {
        super(message);
    }

    public LeaseLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
