package io.honua.db.licensing;

import io.honua.db.core.ConflictException;

/**
 * The request would take the customer beyond a license quota. Raised by the database (SQLSTATE HL001 builds per
 * month, HL002 registries), so it holds under any concurrency. Nothing was changed.
 *
 * @see Quota
 */
public class QuotaExceededException extends ConflictException {

    private static final long serialVersionUID = 1L;

    private final Quota quota;
    private final long limit;
    private final long used;

    public QuotaExceededException(Quota quota, long limit, long used, String message, Throwable cause) {
        super(message, cause);
        this.quota = quota;
        this.limit = limit;
        this.used = used;
    }

    public Quota quota() {
        return quota;
    }

    /** The license limit; -1 when the database did not report it. */
    public long limit() {
        return limit;
    }

    /** Usage before the refused request; -1 when the database did not report it. */
    public long used() {
        return used;
    }
}
