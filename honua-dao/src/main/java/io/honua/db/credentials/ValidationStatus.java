package io.honua.db.credentials;

import io.honua.db.core.InvalidRequestException;
import java.util.Locale;

/** Outcome of the last check of a credential against its registry. */
public enum ValidationStatus {
    PENDING, VALID, INVALID, EXPIRED;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ValidationStatus fromDb(String value) {
        for (ValidationStatus s : values()) {
            if (s.dbValue().equals(value)) {
                return s;
            }
        }
        throw new InvalidRequestException("unknown validation status: " + value);
    }
}
