package io.honua.db.tenancy;

import io.honua.db.core.NotFoundException;

/** No such customer (or not one the current tenant may see). Nothing was changed. */
public class UnknownCustomerException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownCustomerException(String message) {
        super(message);
    }
}
