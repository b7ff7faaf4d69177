package io.honua.db.queue;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.internal.Direct.instant;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.ResultQuery;
import org.jooq.exception.DataAccessException;

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

    /**
     * Runs {@code query}, whose rows are {@code build_queue} rows, and reads each into a {@link Build} straight from the
     * driver's result set: only the columns a {@code Build} holds, without materialising jOOQ records. The one mapping
     * of a {@code build_queue} row; the statement still runs through jOOQ, so execute listeners see it.
     */
    static List<Build> fetch(ResultQuery<?> query) {
        try (ResultSet rs = query.fetchResultSet()) {
            return readAll(rs);
        } catch (SQLException e) {
            throw new DataAccessException("reading build_queue rows: " + e.getMessage(), e);
        }
    }

    /** Every remaining row of {@code rs}, a result of {@code build_queue} rows. */
    static List<Build> readAll(ResultSet rs) throws SQLException {
        List<Build> builds = new ArrayList<>();
        while (rs.next()) {
            builds.add(read(rs));
        }
        return builds;
    }

    /** The current row of {@code rs}, a {@code build_queue} row, as a {@link Build}. */
    static Build read(ResultSet rs) throws SQLException {
        String buildConfig = rs.getString("build_config");
        return new Build(
                rs.getObject("id", UUID.class),
                rs.getString("customer_id"),
                dbEnum(BuildStatus.class).from(rs.getString("status")),
                rs.getShort("priority"),
                Optional.ofNullable(rs.getString("worker_id")),
                instant(rs, "queued_at"),
                instant(rs, "not_before"),
                Optional.ofNullable(instant(rs, "started_at")),
                Optional.ofNullable(instant(rs, "completed_at")),
                Optional.ofNullable(instant(rs, "lease_expires_at")),
                rs.getShort("progress_percent"),
                Optional.ofNullable(rs.getString("current_step")),
                rs.getInt("attempts"),
                rs.getInt("max_attempts"),
                Duration.ofSeconds(rs.getInt("timeout_seconds")),
                Optional.ofNullable(rs.getString("last_error")),
                Optional.ofNullable(rs.getObject("manifest_id", UUID.class)),
                Optional.ofNullable(rs.getString("manifest_hash")),
                Optional.ofNullable(rs.getString("idempotency_key")),
                buildConfig == null ? "{}" : buildConfig,
                rs.getInt("pending_dependencies"),
                rs.getLong("claim_rank"),
                rs.getInt("event_seq"),
                Optional.ofNullable(rs.getString("trace_parent")),
                Optional.ofNullable(rs.getString("trace_state")));
    }
}
