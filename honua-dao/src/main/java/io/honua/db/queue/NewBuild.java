package io.honua.db.queue;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.CustomerId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A build to enqueue. Build with {@link #builder(String)}; the builder validates every value, so an instance is
 * always acceptable to the database except for references (customer, manifest, dependencies) it cannot check.
 *
 * @param traceParent the W3C {@code traceparent} of the enqueuing request (version {@code 00}, lowercase hex, trace and
 *                    span id not all zeros), stored with the build so the worker's spans can link to it
 * @param traceState  the W3C {@code tracestate} that came with it (1..512 printable ASCII characters); only with a
 *                    {@code traceParent}
 */
public record NewBuild(
        String customerId,
        int priority,
        Optional<UUID> manifestId,
        Optional<String> manifestHash,
        Optional<String> idempotencyKey,
        Optional<Instant> notBefore,
        Optional<Duration> timeout,
        Optional<Integer> maxAttempts,
        String buildConfigJson,
        List<UUID> dependsOn,
        Optional<String> traceId,
        Optional<String> correlationId,
        Optional<String> traceParent,
        Optional<String> traceState) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** W3C trace context, version 00 (the same rule as the column's CHECK constraint). */
    private static final Pattern TRACE_PARENT = Pattern.compile("00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");
    /** The range of notBefore: within PostgreSQL's timestamptz range and Instant#toEpochMilli. */
    private static final Instant EARLIEST = Instant.parse("-4713-11-24T00:00:00Z");
    private static final Instant LATEST = Instant.parse("+294276-12-31T23:59:59Z");
    private static final Pattern TRACE_STATE = Pattern.compile("[\\x20-\\x7e]{1,512}");

    public NewBuild {
        CustomerId.check(customerId);
        Checks.range(priority, 1, 10, "priority");
        Checks.notNull(manifestId, "manifestId");
        Checks.notNull(manifestHash, "manifestHash").ifPresent(h -> {
            if (!SHA256.matcher(h).matches()) {
                throw new InvalidRequestException("manifestHash must be 64 lowercase hex characters (SHA-256)");
            }
        });
        Checks.notNull(idempotencyKey, "idempotencyKey").ifPresent(k -> Checks.text(k, "idempotencyKey", 200));
        Checks.notNull(notBefore, "notBefore").ifPresent(t -> {
            if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
                throw new InvalidRequestException("notBefore must be between " + EARLIEST + " and " + LATEST + ", got " + t);
            }
        });
        Checks.notNull(timeout, "timeout").ifPresent(t -> {
            if (t.isNegative() || t.isZero() || t.toSeconds() > Integer.MAX_VALUE) {
                throw new InvalidRequestException("timeout must be positive, got " + t);
            }
        });
        Checks.notNull(maxAttempts, "maxAttempts").ifPresent(m -> Checks.range(m, 1, 100, "maxAttempts"));
        Checks.notNull(buildConfigJson, "buildConfigJson");
        dependsOn = List.copyOf(Checks.noNulls(dependsOn, "dependsOn"));
        Checks.notNull(traceId, "traceId").ifPresent(t -> Checks.text(t, "traceId", 200));
        Checks.notNull(correlationId, "correlationId").ifPresent(t -> Checks.text(t, "correlationId", 200));
        Checks.notNull(traceParent, "traceParent").ifPresent(t -> {
            if (!TRACE_PARENT.matcher(t).matches()) {
                throw new InvalidRequestException("traceParent must be a W3C traceparent of version 00 "
                        + "(00-<32 hex trace id>-<16 hex span id>-<2 hex flags>, lowercase, ids not all zeros), got \""
                        + (t.length() > 80 ? t.substring(0, 80) + "..." : t) + '"');
            }
        });
        Checks.notNull(traceState, "traceState").ifPresent(t -> {
            if (!TRACE_STATE.matcher(t).matches()) {
                throw new InvalidRequestException("traceState must be 1..512 printable ASCII characters, got "
                        + t.length() + " characters");
            }
            if (traceParent.isEmpty()) {
                throw new InvalidRequestException("traceState needs a traceParent");
            }
        });
    }

    public static Builder builder(String customerId) {
        return new Builder(customerId);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private final String customerId;
        private int priority = 5;
        private UUID manifestId;
        private String manifestHash;
        private String idempotencyKey;
        private Instant notBefore;
        private Duration timeout;
        private Integer maxAttempts;
        private String buildConfigJson = "{}";
        private final List<UUID> dependsOn = new ArrayList<>();
        private String traceId;
        private String correlationId;
        private String traceParent;
        private String traceState;

        private Builder(String customerId) {
            this.customerId = customerId;
        }

        /** 1 (lowest) .. 10 (highest); default 5. */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        public Builder manifest(UUID manifestId) {
            this.manifestId = Checks.notNull(manifestId, "manifestId");
            return this;
        }

        public Builder manifestHash(String sha256Hex) {
            this.manifestHash = Checks.notNull(sha256Hex, "manifestHash");
            return this;
        }

        /** A second enqueue with the same key for the same customer returns the first build instead of a new one. */
        public Builder idempotencyKey(String key) {
            this.idempotencyKey = Checks.notNull(key, "idempotencyKey");
            return this;
        }

        /** Not claimable before this instant. */
        public Builder notBefore(Instant instant) {
            this.notBefore = Checks.notNull(instant, "notBefore");
            return this;
        }

        /** Longest a single attempt may run (default 1 hour). */
        public Builder timeout(Duration timeout) {
            this.timeout = Checks.notNull(timeout, "timeout");
            return this;
        }

        /** Attempts before the build fails for good (default 3). */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /** Free-form build configuration, a JSON object. */
        public Builder buildConfig(String json) {
            this.buildConfigJson = Checks.notNull(json, "buildConfig");
            return this;
        }

        /** Not claimable until every one of these builds completed. */
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

        /**
         * The W3C {@code traceparent} of the request that enqueues the build (e.g. the current span's, as
         * {@code honua-opentelemetry}'s {@code HonuaTracing.captureContext} sets it); validated by {@link #build()}.
         */
        public Builder traceParent(String traceparent) {
            this.traceParent = Checks.notNull(traceparent, "traceParent");
            return this;
        }

        /** The W3C {@code tracestate} that came with the {@link #traceParent traceparent}; validated by {@link #build()}. */
        public Builder traceState(String tracestate) {
            this.traceState = Checks.notNull(tracestate, "traceState");
            return this;
        }

        public NewBuild build() {
            return new NewBuild(customerId, priority, Optional.ofNullable(manifestId), Optional.ofNullable(manifestHash),
                    Optional.ofNullable(idempotencyKey), Optional.ofNullable(notBefore), Optional.ofNullable(timeout),
                    Optional.ofNullable(maxAttempts), buildConfigJson, dependsOn, Optional.ofNullable(traceId),
                    Optional.ofNullable(correlationId), Optional.ofNullable(traceParent), Optional.ofNullable(traceState));
        }
    }
}
