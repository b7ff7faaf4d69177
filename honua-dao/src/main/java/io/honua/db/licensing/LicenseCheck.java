package io.honua.db.licensing;

import java.util.Optional;
import java.util.UUID;

/**
 * Result of verifying a presented license key. {@code licenseId} and {@code customerId} are present unless the
 * verdict is {@link Verdict#UNKNOWN}.
 */
public record LicenseCheck(Verdict verdict, Optional<UUID> licenseId, Optional<String> customerId) {

    /** What a presented key is worth. */
    public enum Verdict {
        /** Known and valid now. */
        VALID,
        /** Known but past its expiry or trial end (whether or not expire_licenses() has marked it yet). */
        EXPIRED,
        /** Known and revoked. */
        REVOKED,
        /** Known and suspended. */
        SUSPENDED,
        /** No license has this key. */
        UNKNOWN
    }

    public boolean valid() {
        return verdict == Verdict.VALID;
    }

    static LicenseCheck unknown() {
        return new LicenseCheck(Verdict.UNKNOWN, Optional.empty(), Optional.empty());
    }
}
