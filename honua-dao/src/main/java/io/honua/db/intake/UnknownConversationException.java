package io.honua.db.intake;

import io.honua.db.core.NotFoundException;

/** No conversation with this id exists. Nothing was changed. */
public class UnknownConversationException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownConversationException(String message) {
        super(message);
    }

    public UnknownConversationException(String message, Throwable cause) {
        super(message, cause);
    }
}
