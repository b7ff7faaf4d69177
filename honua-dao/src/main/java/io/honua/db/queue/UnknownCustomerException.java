package io.honua.db.queue;

import io.honua.db.core.NotFoundException;

/** The customer does not exist. */
public class UnknownCustomerException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownCustomerException(String message) {
        super(message);
    }

    public UnknownCustomerException(String message, Throwable cause) {
        super(message, cause);
    }
}
