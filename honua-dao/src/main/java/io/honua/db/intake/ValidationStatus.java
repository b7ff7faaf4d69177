package io.honua.db.intake;

import java.util.Locale;

/** Validation state of a manifest version: PENDING until validated, then VALID or INVALID. Only VALID can be published or built. */
public enum ValidationStatus {
    PENDING, VALID, INVALID;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ValidationStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
