package io.honua.db.intake;

import io.honua.db.core.ConflictException;

/** The conversation is no longer active (completed, abandoned or error): it takes no messages and its status cannot change. Nothing was changed. */
public class ConversationClosedException extends ConflictException {

    private static final long serialVersionUID = 1L;

    public ConversationClosedException(String message) {
        super(message);
    }

    public ConversationClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
