package io.honua.db.intake;

import io.honua.db.internal.Checks;
import io.honua.db.queue.NewBuild;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * How {@link Manifests#enqueueBuild(UUID, ManifestBuildOptions)} queues the build: the queue options of
 * {@link NewBuild} except customer, manifest and configuration, which come from the manifest. Every value is checked
 * by {@link NewBuild}'s own validation (the same bounds as a direct enqueue: priority 1..10, timeout positive and at
 * most {@code Integer.MAX_VALUE} seconds, attempts 1..100, keys and ids 1..200 characters), so an instance is always
 * acceptable to the queue. Build with {@link #builder()}; {@link #DEFAULTS} is priority 5 and the queue's defaults.
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

    /** A valid customer id the options are checked against (never stored: the manifest's customer is used). */
    private static final String PROBE_CUSTOMER = "manifest-build-options";

    public static final ManifestBuildOptions DEFAULTS = builder().build();

    public ManifestBuildOptions {
        Checks.notNull(idempotencyKey, "idempotencyKey");
        Checks.notNull(notBefore, "notBefore");
        Checks.notNull(timeout, "timeout");
        Checks.notNull(maxAttempts, "maxAttempts");
        dependsOn = List.copyOf(Checks.noNulls(dependsOn, "dependsOn"));
        Checks.notNull(traceId, "traceId");
        Checks.notNull(correlationId, "correlationId");
        copy(NewBuild.builder(PROBE_CUSTOMER), priority, idempotencyKey, notBefore, timeout, maxAttempts, dependsOn,
                traceId, correlationId).build();   // NewBuild's validation, the one place the bounds live
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Sets these options on {@code build} (the customer, manifest and configuration are left to the caller). */
    public NewBuild.Builder applyTo(NewBuild.Builder build) {
        return copy(Checks.notNull(build, "build"), priority, idempotencyKey, notBefore, timeout, maxAttempts,
                dependsOn, traceId, correlationId);
    }

    private static NewBuild.Builder copy(NewBuild.Builder b, int priority, Optional<String> idempotencyKey,
                                         Optional<Instant> notBefore, Optional<Duration> timeout,
                                         Optional<Integer> maxAttempts, List<UUID> dependsOn, Optional<String> traceId,
                                         Optional<String> correlationId) {
        b.priority(priority);
        idempotencyKey.ifPresent(b::idempotencyKey);
        notBefore.ifPresent(b::notBefore);
        timeout.ifPresent(b::timeout);
        maxAttempts.ifPresent(b::maxAttempts);
        b.dependsOn(dependsOn.toArray(UUID[]::new));
        traceId.ifPresent(b::traceId);
        correlationId.ifPresent(b::correlationId);
        return b;
    }

    /** Mutable builder over a {@link NewBuild.Builder}; {@link #build()} validates through {@link NewBuild}. */
    public static final class Builder {
        private final NewBuild.Builder template = NewBuild.builder(PROBE_CUSTOMER);

        private Builder() {
        }

        /** 1 (lowest) .. 10 (highest); default 5. */
        public Builder priority(int priority) {
            template.priority(priority);
            return this;
        }

        /** A second enqueue with the same key returns the first build instead of a new one. */
        public Builder idempotencyKey(String key) {
            template.idempotencyKey(key);
            return this;
        }

        /** Not claimable before this instant. */
        public Builder notBefore(Instant instant) {
            template.notBefore(instant);
            return this;
        }

        /** Longest a single attempt may run (default 1 hour). */
        public Builder timeout(Duration timeout) {
            template.timeout(timeout);
            return this;
        }

        /** Attempts before the build fails for good (default 3). */
        public Builder maxAttempts(int maxAttempts) {
            template.maxAttempts(maxAttempts);
            return this;
        }

        /** Not claimable until every one of these builds completed. */
        public Builder dependsOn(UUID... builds) {
            template.dependsOn(builds);
            return this;
        }

        public Builder traceId(String traceId) {
            template.traceId(traceId);
            return this;
        }

        public Builder correlationId(String correlationId) {
            template.correlationId(correlationId);
            return this;
        }

        public ManifestBuildOptions build() {
            NewBuild t = template.build();
            return new ManifestBuildOptions(t.priority(), t.idempotencyKey(), t.notBefore(), t.timeout(),
                    t.maxAttempts(), t.dependsOn(), t.traceId(), t.correlationId());
        }
    }
}
