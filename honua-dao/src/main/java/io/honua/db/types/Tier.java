package io.honua.db.types;

import io.honua.db.core.InvalidRequestException;

/**
 * The one tier of the whole library, lowest first ({@code FREE < STANDARD < PROFESSIONAL < ENTERPRISE}): a customer's
 * subscription tier ({@code customers.tier}), a license's tier ({@code licenses.tier}) and a cache entry's tier
 * ({@code build_cache.tier}; an entry of tier T is usable by customers whose tier is T or higher). Stored in the
 * database as the lower-case name.
 */
public enum Tier implements DbEnum {
    FREE, STANDARD, PROFESSIONAL, ENTERPRISE;

    /** True when a customer with tier {@code this} may use a cache entry of tier {@code entryTier}. */
    public boolean mayUse(Tier entryTier) {
        return entryTier.ordinal() <= ordinal();
    }

    /**
     * Parses a tier name (case-insensitive, surrounding blanks ignored, e.g. from a request).
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
}
