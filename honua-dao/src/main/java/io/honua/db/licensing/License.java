package io.honua.db.licensing;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.LICENSES;

import io.honua.db.schema.generated.tables.records.LicensesRecord;
import io.honua.db.types.Tier;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A license as stored, without its key (see {@link Licenses#revealKey}) and without its feature flags (see
 * {@link Licenses#featureFlags}, which validates them).
 *
 * @param valid whether it grants service now: ACTIVE or TRIAL, before its expiry and trial end (by the database clock
 *              when read)
 */
public record License(UUID id, String customerId, Tier tier, LicenseStatus status, int maxBuildsPerMonth,
                      int maxRegistries, int maxConcurrentBuilds, boolean trial, Optional<Instant> trialEndsAt,
                      Instant issuedAt, Optional<Instant> expiresAt, String encryptionKeyId, boolean valid) {

    static License of(LicensesRecord r, boolean valid) {
        return new License(r.getId(), r.getCustomerId(), r.get(LICENSES.TIER, dbEnum(Tier.class)),
                r.get(LICENSES.STATUS, dbEnum(LicenseStatus.class)),
                r.getMaxBuildsPerMonth(), r.getMaxRegistries(), r.getMaxConcurrentBuilds(), Boolean.TRUE.equals(r.getIsTrial()),
                Optional.ofNullable(r.getTrialEndsAt()), r.getIssuedAt(), Optional.ofNullable(r.getExpiresAt()),
                r.getEncryptionKeyId(), valid);
    }
}
