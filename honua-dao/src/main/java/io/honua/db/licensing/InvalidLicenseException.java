package io.honua.db.licensing;

import io.honua.db.core.ConflictException;

/**
 * The license (or every license of the customer) is expired, revoked or suspended, so the request is refused.
 * Raised by {@link Licenses#requireValid}, and by the database (SQLSTATE HL003) on enqueue or storing a credential
 * for a customer whose licenses are all invalid. Nothing was changed.
 */
public class InvalidLicenseException extends ConflictException {

    private static final long serialVersionUID = 1L;

    private final LicenseCheck.Verdict verdict;

    public InvalidLicenseException(LicenseCheck.Verdict verdict, String message, Throwable cause) {
        super(message, cause);
        this.verdict = verdict;
    }

    /** EXPIRED, REVOKED or SUSPENDED when known; EXPIRED when raised by the database for "no valid license". */
    public LicenseCheck.Verdict verdict() {
        return verdict;
    }
}
