package io.honua.db.intake;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * How {@link Manifests#enqueueBuild(UUID, ManifestBuildOptions)} queues the build: the queue options of
 * {@link io.honua.db.queue.NewBuild} except customer, manifest and configuration, which come from the manifest.
 * Build with {@link #builder()}; {@link #DEFAULTS} is priority 5 and the queue's defaults.
 */
public record ManifestBuildOptions(
        int priority,
        Optional<String> idempotencyKey,
        Optional<Instant> notBefore,
        Optional<Duration> timeout,
        Optional<Integer> maxAttempts,
        List<UUID> dependsOn,
        Optional<String> traceId,
        Optional<String> correlationId) {

    public static final ManifestBuildOptions DEFAULTS = builder().build();

    public ManifestBuildOptions {
        Checks.range(priority, 1, 10, "priority");
        Checks.notNull(idempotencyKey, "idempotencyKey").ifPresent(k -> Checks.text(k, "idempotencyKey", 200));
        Checks.notNull(notBefore, "notBefore");
        Checks.notNull(timeout, "timeout").ifPresent(t -> {
            if (t.isNegative() || t.isZero()) {
                throw new InvalidRequestException("timeout must be positive, got " + t);
            }
        });
        Checks.notNull(maxAttempts, "maxAttempts").ifPresent(m -> Checks.range(m, 1, 100, "maxAttempts"));
        dependsOn = List.copyOf(Checks.noNulls(dependsOn, "dependsOn"));
        Checks.notNull(traceId, "traceId");
        Checks.notNull(correlationId, "correlationId");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private int priority = 5;
        private String idempotencyKey;
        private Instant notBefore;
        private Duration timeout;
        private Integer maxAttempts;
        private final List<UUID> dependsOn = new ArrayList<>();
        private String traceId;
        private String correlationId;

        private Builder() {
        }

        /** 1 (lowest) .. 10 (highest); default 5. */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        /** A second enqueue with the same key returns the first build instead of a new one. */
        public Builder idempotencyKey(String key) {
            this.idempotencyKey = Checks.notNull(key, "idempotencyKey");
            return this;
        }

        public Builder notBefore(Instant instant) {
            this.notBefore = Checks.notNull(instant, "notBefore");
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = Checks.notNull(timeout, "timeout");
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder dependsOn(UUID... builds) {
            for (UUID b : builds) {
                dependsOn.add(Checks.notNull(b, "dependsOn"));
            }
            return this;
        }

        public Builder traceId(String traceId) {
            this.traceId = Checks.notNull(traceId, "traceId");
            return this;
        }

        public Builder correlationId(String correlationId) {
            this.correlationId = Checks.notNull(correlationId, "correlationId");
            return this;
        }

        public ManifestBuildOptions build() {
            return new ManifestBuildOptions(priority, Optional.ofNullable(idempotencyKey), Optional.ofNullable(notBefore),
                    Optional.ofNullable(timeout), Optional.ofNullable(maxAttempts), dependsOn, Optional.ofNullable(traceId),
                    Optional.ofNullable(correlationId));
        }
    }
}
