package io.honua.db.licensing;

import io.honua.db.types.Tier;

/**
 * Quota limits of a customer's valid licenses (the largest of each when it has several) beside current usage,
 * from {@code get_license_quota_usage}: the one type for it, returned by {@link Licenses#quotaUsage(String)} and by
 * {@code Analytics.licenseQuotaUsage(String)}. Builds are counted per UTC calendar month, exactly as the enqueue quota
 * counts.
 *
 * @param buildsThisMonth  builds queued since the start of the current UTC month
 * @param concurrentBuilds builds running now
 * @param registriesUsed   active registry credentials
 */
public record QuotaUsage(String customerId, Tier tier, int maxBuildsPerMonth, long buildsThisMonth,
                         int maxConcurrentBuilds, long concurrentBuilds, int maxRegistries, long registriesUsed) {

    /** Builds still allowed this month (0 when at or over quota). */
    public long buildsRemaining() {
        return Math.max(0, maxBuildsPerMonth - buildsThisMonth);
    }

    /** Share of the monthly build quota used, 0..1 and above when over quota. */
    public double monthlyBuildShare() {
        return (double) buildsThisMonth / maxBuildsPerMonth;
    }
}
