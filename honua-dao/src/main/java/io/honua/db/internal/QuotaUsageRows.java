package io.honua.db.internal;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.GET_LICENSE_QUOTA_USAGE;

import io.honua.db.licensing.QuotaUsage;
import io.honua.db.schema.generated.tables.records.GetLicenseQuotaUsageRecord;
import io.honua.db.types.Tier;

/**
 * The one mapping of a {@code get_license_quota_usage} row to {@link QuotaUsage}, used by
 * {@code Licenses.quotaUsage} and {@code Analytics.licenseQuotaUsage}.
 */
public final class QuotaUsageRows {

    private QuotaUsageRows() {
    }

    /** The quota usage of one row. */
    public static QuotaUsage quotaUsage(GetLicenseQuotaUsageRecord r) {
        return new QuotaUsage(r.getCustomerId(), r.get(GET_LICENSE_QUOTA_USAGE.TIER, dbEnum(Tier.class)), r.getMaxBuildsPerMonth(),
                r.getBuildsThisMonth(), r.getMaxConcurrentBuilds(), r.getConcurrentBuilds(), r.getMaxRegistries(),
                r.getRegistriesUsed());
    }
}
