package io.honua.db.tenancy;

import io.honua.db.core.ConflictException;

/** A customer with that id already exists (possibly soft-deleted). Nothing was changed. */
public class CustomerExistsException extends ConflictException {

    private static final long serialVersionUID = 1L;

    public CustomerExistsException(String message, Throwable cause) {
        super(message, cause);
    }
}
