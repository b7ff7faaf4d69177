package io.honua.db.tenancy;

import io.honua.db.core.InvalidRequestException;
import java.util.Locale;

/** Subscription status of a customer ({@code customers.subscription_status}). */
public enum SubscriptionStatus {
    TRIAL, ACTIVE, PAST_DUE, SUSPENDED, CANCELLED;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a status name (case-insensitive).
     *
     * @throws InvalidRequestException for anything that is not a status
     */
    public static SubscriptionStatus parse(String value) {
        if (value != null) {
            for (SubscriptionStatus s : values()) {
                if (s.dbValue().equalsIgnoreCase(value.strip())) {
                    return s;
                }
            }
        }
        throw new InvalidRequestException("unknown subscription status '" + value
                + "', expected one of trial, active, past_due, suspended, cancelled");
    }

    static SubscriptionStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
