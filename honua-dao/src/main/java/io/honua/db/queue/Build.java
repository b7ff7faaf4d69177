package io.honua.db.queue;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;

import io.honua.db.schema.generated.tables.records.BuildQueueRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A build as stored in {@code build_queue}, read at one instant. Immutable.
 *
 * @param claimRank lower is claimed earlier: enqueue time in ms minus priority × aging step
 * @param eventSeq  sequence number of this build's latest event
 * @param traceParent the W3C {@code traceparent} of the request that enqueued the build, when it gave one
 *                  ({@link NewBuild.Builder#traceParent}); never changes
 * @param traceState  the W3C {@code tracestate} that came with it, when there was one
 */
public record Build(
        UUID id,
        String customerId,
        BuildStatus status,
        int priority,
        Optional<String> workerId,
        Instant queuedAt,
        Instant notBefore,
        Optional<Instant> startedAt,
        Optional<Instant> completedAt,
        Optional<Instant> leaseExpiresAt,
        int progressPercent,
        Optional<String> currentStep,
        int attempts,
        int maxAttempts,
        Duration timeout,
        Optional<String> lastError,
        Optional<UUID> manifestId,
        Optional<String> manifestHash,
        Optional<String> idempotencyKey,
        String buildConfigJson,
        int pendingDependencies,
        long claimRank,
        int eventSeq,
        Optional<String> traceParent,
        Optional<String> traceState) {

    static Build of(BuildQueueRecord r) {
        return new Build(
                r.getId(),
                r.getCustomerId(),
                r.get(BUILD_QUEUE.STATUS, dbEnum(BuildStatus.class)),
                r.getPriority(),
                Optional.ofNullable(r.getWorkerId()),
                r.getQueuedAt(),
                r.getNotBefore(),
                Optional.ofNullable(r.getStartedAt()),
                Optional.ofNullable(r.getCompletedAt()),
                Optional.ofNullable(r.getLeaseExpiresAt()),
                r.getProgressPercent(),
                Optional.ofNullable(r.getCurrentStep()),
                r.getAttempts(),
                r.getMaxAttempts(),
                Duration.ofSeconds(r.getTimeoutSeconds()),
                Optional.ofNullable(r.getLastError()),
                Optional.ofNullable(r.getManifestId()),
                Optional.ofNullable(r.getManifestHash()),
                Optional.ofNullable(r.getIdempotencyKey()),
                r.getBuildConfig() == null ? "{}" : r.getBuildConfig().data(),
                r.getPendingDependencies(),
                r.getClaimRank(),
                r.getEventSeq(),
                Optional.ofNullable(r.getTraceParent()),
                Optional.ofNullable(r.getTraceState()));
    }
}
