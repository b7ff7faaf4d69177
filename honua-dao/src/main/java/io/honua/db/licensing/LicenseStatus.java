package io.honua.db.licensing;

import io.honua.db.core.InvalidRequestException;
import java.util.Locale;

/** Stored status of a license ({@code licenses.status}). */
public enum LicenseStatus {
    ACTIVE, TRIAL, EXPIRED, SUSPENDED, REVOKED;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LicenseStatus fromDb(String value) {
        for (LicenseStatus s : values()) {
            if (s.dbValue().equals(value)) {
                return s;
            }
        }
        throw new InvalidRequestException("unknown license status: " + value);
    }
}
