package io.honua.db.metrics;

import java.time.Instant;

/**
 * Aggregates of one bucket of a metric series ({@link BuildMetrics#series(SeriesQuery)}): samples in
 * [{@code start}, {@code start + bucket}), their average, minimum, maximum and 95th percentile (continuous, i.e.
 * interpolated between samples as {@code percentile_cont(0.95)}).
 */
public record MetricBucket(Instant start, long samples, double avg, double min, double max, double p95) {
}
