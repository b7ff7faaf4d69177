package io.honua.db.tenancy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.DbEnum;

/** Subscription status of a customer ({@code customers.subscription_status}). */
public enum SubscriptionStatus implements DbEnum {
    TRIAL, ACTIVE, PAST_DUE, SUSPENDED, CANCELLED;

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
}
