package io.honua.db.licensing;

import io.honua.db.core.InvalidRequestException;
import java.util.Locale;

/** License tiers, lowest first (the seed's {@code free < standard < professional < enterprise}). */
public enum LicenseTier {
    FREE, STANDARD, PROFESSIONAL, ENTERPRISE;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LicenseTier fromDb(String value) {
        for (LicenseTier t : values()) {
            if (t.dbValue().equals(value)) {
                return t;
            }
        }
        throw new InvalidRequestException("unknown license tier: " + value);
    }
}
