package io.honua.db.tenancy;

import io.honua.db.core.InvalidRequestException;
import java.util.Locale;

/** Subscription tier of a customer, lowest first ({@code customers.tier}). */
public enum Tier {
    FREE, STANDARD, PROFESSIONAL, ENTERPRISE;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a tier name (case-insensitive, e.g. from a request).
     *
     * @throws InvalidRequestException for anything that is not a tier
     */
    public static Tier parse(String value) {
        if (value != null) {
            for (Tier t : values()) {
                if (t.dbValue().equalsIgnoreCase(value.strip())) {
                    return t;
                }
            }
        }
        throw new InvalidRequestException("unknown tier '" + value + "', expected one of free, standard, professional, enterprise");
    }

    static Tier fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
