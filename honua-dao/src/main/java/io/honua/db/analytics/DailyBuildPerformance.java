package io.honua.db.analytics;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Optional;

/**
 * Finished builds (completed, failed, timeout) of one UTC day by completion time (the columns of the view
 * {@code build_performance_summary}, computed by {@code get_build_performance}).
 * Duration and resource figures are empty when no build of the day has a result row.
 */
public record DailyBuildPerformance(LocalDate day, long totalBuilds, long succeeded, long failed,
                                    Optional<Long> avgDurationMs, Optional<Double> p95DurationMs,
                                    Optional<BigDecimal> avgCpuSeconds, Optional<Long> maxPeakMemoryBytes) {
}
