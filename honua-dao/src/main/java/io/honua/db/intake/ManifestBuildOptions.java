package io.honua.db.intake;

import io.honua.db.internal.Checks;
import io.honua.db.queue.NewBuild;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * How {@link Manifests#enqueueBuild(UUID, ManifestBuildOptions)} queues the build: the queue options of a
 * {@link NewBuild} (priority, idempotency key, not-before, timeout, attempts, dependencies, trace and correlation id)
 * without customer, manifest and configuration, which come from the manifest. An instance holds its options as a
 * {@link NewBuild} that passed {@link NewBuild}'s validation, so it is always acceptable to the queue, with exactly a
 * direct enqueue's bounds (priority 1..10, timeout positive and at most {@code Integer.MAX_VALUE} seconds, attempts
 * 1..100, keys and ids 1..200 characters). Immutable; equal when the options are. Build with {@link #builder()};
 * {@link #DEFAULTS} is priority 5 and the queue's defaults.
 */
public final class ManifestBuildOptions {

    /** A valid customer id the options are held with (never stored: the manifest's customer is used). */
    private static final String PLACEHOLDER_CUSTOMER = "manifest-build-options";

    /** Priority 5, no key, no delay, no dependencies, the queue's timeout and attempts. */
    public static final ManifestBuildOptions DEFAULTS = builder().build();

    /** The options, as a validated build of {@link #PLACEHOLDER_CUSTOMER} without manifest and configuration. */
    private final NewBuild options;

    private ManifestBuildOptions(NewBuild options) {
        this.options = options;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The build of manifest {@code m} with these options, its digest as manifest hash, its content as configuration. */
    NewBuild buildOf(Manifest m) {
        NewBuild o = options;
        return new NewBuild(m.customerId(), o.priority(), Optional.of(m.id()), Optional.of(m.digest()),
                o.idempotencyKey(), o.notBefore(), o.timeout(), o.maxAttempts(), m.manifestJson(), o.dependsOn(),
                o.traceId(), o.correlationId(), o.traceParent(), o.traceState());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ManifestBuildOptions o && options.equals(o.options);
    }

    @Override
    public int hashCode() {
        return options.hashCode();
    }

    /**
     * Mutable builder over a {@link NewBuild.Builder}: the setters are {@link NewBuild.Builder}'s, and
     * {@link #build()} validates through {@link NewBuild} ({@code InvalidRequestException} when a value is out of
     * bounds).
     */
    public static final class Builder {
        private final NewBuild.Builder options = NewBuild.builder(PLACEHOLDER_CUSTOMER);

        private Builder() {
        }

        /** 1 (lowest) .. 10 (highest); default 5. */
        public Builder priority(int priority) {
            options.priority(priority);
            return this;
        }

        /** A second enqueue with the same key for the same customer returns the first build instead of a new one. */
        public Builder idempotencyKey(String key) {
            options.idempotencyKey(key);
            return this;
        }

        /** Not claimable before this instant. */
        public Builder notBefore(Instant instant) {
            options.notBefore(instant);
            return this;
        }

        /** Longest a single attempt may run (default 1 hour). */
        public Builder timeout(Duration timeout) {
            options.timeout(timeout);
            return this;
        }

        /** Attempts before the build fails for good (default 3). */
        public Builder maxAttempts(int maxAttempts) {
            options.maxAttempts(maxAttempts);
            return this;
        }

        /** Not claimable until every one of these builds completed. */
        public Builder dependsOn(UUID... builds) {
            options.dependsOn(Checks.notNull(builds, "dependsOn"));
            return this;
        }

        public Builder traceId(String traceId) {
            options.traceId(traceId);
            return this;
        }

        public Builder correlationId(String correlationId) {
            options.correlationId(correlationId);
            return this;
        }

        /** Validated options; the builder can go on to build more. */
        public ManifestBuildOptions build() {
            return new ManifestBuildOptions(options.build());
        }
    }
}
