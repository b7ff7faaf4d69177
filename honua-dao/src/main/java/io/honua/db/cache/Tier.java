package io.honua.db.cache;

import io.honua.db.core.InvalidRequestException;

/**
 * License / cache tiers, in ascending order: a cache entry of tier T is usable by customers whose license tier is T or
 * higher ({@code FREE < STANDARD < PROFESSIONAL < ENTERPRISE}).
 */
public enum Tier {
    FREE("free"), STANDARD("standard"), PROFESSIONAL("professional"), ENTERPRISE("enterprise");

    private final String db;

    Tier(String db) {
        this.db = db;
    }

    /** The value stored in the database. */
    public String dbValue() {
        return db;
    }

    /** True when a customer with license tier {@code this} may use an entry of tier {@code entryTier}. */
    public boolean mayUse(Tier entryTier) {
        return entryTier.ordinal() <= ordinal();
    }

    /** Parses the database value. @throws InvalidRequestException for anything else */
    public static Tier fromDb(String value) {
        for (Tier t : values()) {
            if (t.db.equals(value)) {
                return t;
            }
        }
        throw new InvalidRequestException("unknown tier: " + value);
    }
}
