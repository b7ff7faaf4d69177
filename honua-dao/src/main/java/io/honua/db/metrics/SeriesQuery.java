package io.honua.db.metrics;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.CustomerId;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What {@link BuildMetrics#series(SeriesQuery)} reads: one metric over [{@code from}, {@code to}) in buckets of
 * {@code bucket} aligned on {@code from}, optionally limited to one build, to one customer's builds and to samples whose
 * labels contain all the given labels. At most {@value #MAX_BUCKETS} buckets; bucket at least 1 ms and at most 31 days.
 */
public record SeriesQuery(String metricName, Instant from, Instant to, Duration bucket, Optional<UUID> buildId,
                          Optional<String> customerId, Map<String, String> labels) {

    public static final int MAX_BUCKETS = 100_000;

    public SeriesQuery {
        Checks.text(metricName, "metricName", 200);
        Checks.notNull(from, "from");
        Checks.notNull(to, "to");
        Checks.notNull(bucket, "bucket");
        Checks.notNull(buildId, "buildId");
        Checks.notNull(customerId, "customerId");
        Checks.notNull(labels, "labels");
        if (!to.isAfter(from)) {
            throw new InvalidRequestException("to must be after from, got " + from + " .. " + to);
        }
        if (bucket.toMillis() < 1 || bucket.compareTo(Duration.ofDays(31)) > 0) {
            throw new InvalidRequestException("bucket must be 1 ms .. 31 days, got " + bucket);
        }
        if (Duration.between(from, to).dividedBy(bucket) >= MAX_BUCKETS) {
            throw new InvalidRequestException("at most " + MAX_BUCKETS + " buckets per series, got " + from + " .. " + to
                    + " by " + bucket);
        }
        customerId.ifPresent(c -> CustomerId.check(c));
        TreeMap<String, String> copy = new TreeMap<>();
        labels.forEach((k, v) -> copy.put(Checks.text(k, "label name", 200), Checks.notNull(v, "label value of " + k)));
        labels = java.util.Collections.unmodifiableMap(copy);
    }

    /** Starts a query of {@code metricName} over [{@code from}, {@code to}) in buckets of {@code bucket}. */
    public static Builder builder(String metricName, Instant from, Instant to, Duration bucket) {
        return new Builder(metricName, from, to, bucket);
    }

    /** Builder of a {@link SeriesQuery}; {@link #build()} validates. */
    public static final class Builder {
        private final String metricName;
        private final Instant from;
        private final Instant to;
        private final Duration bucket;
        private UUID buildId;
        private String customerId;
        private Map<String, String> labels = Map.of();

        private Builder(String metricName, Instant from, Instant to, Duration bucket) {
            this.metricName = metricName;
            this.from = from;
            this.to = to;
            this.bucket = bucket;
        }

        /** Only samples of this build. */
        public Builder build(UUID buildId) {
            this.buildId = Checks.notNull(buildId, "buildId");
            return this;
        }

        /** Only samples of this customer's builds. */
        public Builder customer(String customerId) {
            this.customerId = Checks.notNull(customerId, "customerId");
            return this;
        }

        /** Only samples whose labels contain all of these ({@code labels @> ...}, GIN-indexed). */
        public Builder labels(Map<String, String> labels) {
            this.labels = Objects.requireNonNullElse(labels, Map.of());
            return this;
        }

        public SeriesQuery build() {
            return new SeriesQuery(metricName, from, to, bucket, Optional.ofNullable(buildId), Optional.ofNullable(customerId), labels);
        }
    }
}
