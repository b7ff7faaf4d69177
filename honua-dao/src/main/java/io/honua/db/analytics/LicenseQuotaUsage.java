package io.honua.db.analytics;

/**
 * Limits of a customer's valid (active or trial, most recently issued) license beside current usage.
 *
 * @param buildsThisMonth  builds queued since the start of the current month (database clock)
 * @param concurrentBuilds builds running now
 * @param registriesUsed   active registry credentials
 */
public record LicenseQuotaUsage(String customerId, String tier, int maxBuildsPerMonth, long buildsThisMonth,
                                int maxConcurrentBuilds, long concurrentBuilds, int maxRegistries, long registriesUsed) {

    /** Share of the monthly build quota used, 0..1 and above when over quota. */
    public double monthlyBuildShare() {
        return (double) buildsThisMonth / maxBuildsPerMonth;
    }
}
