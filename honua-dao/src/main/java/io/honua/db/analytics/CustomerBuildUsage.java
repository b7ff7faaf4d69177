package io.honua.db.analytics;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;

/**
 * Build statistics of one live (not soft-deleted) customer over its whole history (view {@code customer_build_usage}).
 *
 * @param successRate completed / (completed + failed + timeout), 4 decimals; empty before the first finished build
 */
public record CustomerBuildUsage(String customerId, String name, String tier, long totalBuilds, long buildsThisMonth,
                                 long succeeded, long failed, Optional<BigDecimal> successRate,
                                 Optional<Long> avgDurationMs, Optional<Instant> lastBuildAt) {
}
