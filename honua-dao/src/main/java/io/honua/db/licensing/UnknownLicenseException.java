package io.honua.db.licensing;

import io.honua.db.core.NotFoundException;

/** No such license (unknown id for this customer, or a presented key no license has). Nothing was changed. */
public class UnknownLicenseException extends NotFoundException {

    private static final long serialVersionUID = 1L;

    public UnknownLicenseException(String message) {
        super(message);
    }
}
