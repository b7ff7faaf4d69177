package io.honua.db.licensing;

import io.honua.db.types.Tier;

/**
 * Quota limits of a customer's valid licenses (the largest of each when it has several) beside current usage,
 * from {@code get_license_quota_usage}. Builds are counted per UTC calendar month, exactly as the enqueue quota counts.
 */
public record QuotaUsage(String customerId, Tier tier, int maxBuildsPerMonth, long buildsThisMonth,
                         int maxConcurrentBuilds, long concurrentBuilds, int maxRegistries, long registriesUsed) {

    public long buildsRemaining() {
        return Math.max(0, maxBuildsPerMonth - buildsThisMonth);
    }
}
