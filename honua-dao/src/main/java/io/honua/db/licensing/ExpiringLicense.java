package io.honua.db.licensing;

import io.honua.db.types.Tier;
import java.time.Instant;
import java.util.UUID;

/** A valid license that ends soon: {@code endsAt} is its expiry, or for a trial the earlier of trial end and expiry. */
public record ExpiringLicense(UUID licenseId, String customerId, Tier tier, LicenseStatus status, boolean trial,
                             Instant endsAt) {
}
