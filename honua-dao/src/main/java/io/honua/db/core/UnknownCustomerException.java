package io.honua.db.core;

/**
 * No such customer (or not one the current tenant may see), whichever capability was asked (queue, tenancy,
 * licensing, credentials, API keys). Nothing was changed.
 */
public class UnknownCustomerException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownCustomerException(String message) {
        super(message);
    }

    public UnknownCustomerException(String message, Throwable cause) {
        super(message, cause);
    }
}
