package io.honua.db.bench;

import static io.honua.db.bench.BenchState.instant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The baseline: the same SQL the library sends, through plain JDBC PreparedStatements on the same pool, with the
 * result read into a plain record (so that both sides pay for materialising rows).
 */
final class JdbcQueue {

    /** Every column the library's Build record carries, read with the same Java types. */
    record Row(UUID id, String customerId, String status, int priority, String workerId, Instant queuedAt,
               Instant notBefore, Instant startedAt, Instant completedAt, Instant leaseExpiresAt, int progressPercent,
               String currentStep, int attempts, int maxAttempts, int timeoutSeconds, String lastError, UUID manifestId,
               String manifestHash, String idempotencyKey, String buildConfig, int pendingDependencies, long claimRank,
               int eventSeq) {
    }

    private final DataSource ds;

    JdbcQueue(DataSource ds) {
        this.ds = ds;
    }

    static Row row(ResultSet rs) throws SQLException {
        return new Row((UUID) rs.getObject("id"), rs.getString("customer_id"), rs.getString("status"), rs.getShort("priority"),
                rs.getString("worker_id"), instant(rs, "queued_at"), instant(rs, "not_before"), instant(rs, "started_at"),
                instant(rs, "completed_at"), instant(rs, "lease_expires_at"), rs.getShort("progress_percent"),
                rs.getString("current_step"), rs.getInt("attempts"), rs.getInt("max_attempts"), rs.getInt("timeout_seconds"),
                rs.getString("last_error"), (UUID) rs.getObject("manifest_id"), rs.getString("manifest_hash"),
                rs.getString("idempotency_key"), rs.getString("build_config"), rs.getInt("pending_dependencies"),
                rs.getLong("claim_rank"), rs.getInt("event_seq"));
    }

    List<Row> claim(String worker, int n) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT * FROM claim_builds(?, ?, ?)")) {
            ps.setString(1, worker);
            ps.setInt(2, n);
            ps.setInt(3, 60);
            try (ResultSet rs = ps.executeQuery()) {
                List<Row> out = new ArrayList<>(n);
                while (rs.next()) {
                    out.add(row(rs));
                }
                return out;
            }
        }
    }

    /** {@code enqueue_builds} with column arrays, as the library calls it. */
    List<Row> enqueue(String customer, int count, int priority) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT * FROM enqueue_builds(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            String[] customers = new String[count];
            Integer[] priorities = new Integer[count];
            String[] configs = new String[count];
            for (int i = 0; i < count; i++) {
                customers[i] = customer;
                priorities[i] = priority;
                configs[i] = "{}";
            }
            ps.setArray(1, c.createArrayOf("text", customers));
            ps.setArray(2, c.createArrayOf("int4", priorities));
            ps.setArray(3, c.createArrayOf("uuid", new UUID[count]));
            ps.setArray(4, c.createArrayOf("text", new String[count]));
            ps.setArray(5, c.createArrayOf("text", new String[count]));
            ps.setArray(6, c.createArrayOf("int8", new Long[count]));
            ps.setArray(7, c.createArrayOf("int4", new Integer[count]));
            ps.setArray(8, c.createArrayOf("int4", new Integer[count]));
            ps.setArray(9, c.createArrayOf("text", configs));
            ps.setArray(10, c.createArrayOf("text", new String[count]));
            ps.setArray(11, c.createArrayOf("text", new String[count]));
            ps.setLong(12, 60_000L);
            ps.setBoolean(13, true);   // p_notify, as QueueOptions.DEFAULTS
            try (ResultSet rs = ps.executeQuery()) {
                List<Row> out = new ArrayList<>(count);
                while (rs.next()) {
                    out.add(row(rs));
                }
                return out;
            }
        }
    }

    /** {@code complete_build_with_result}, as the library calls it when there are no artifacts. */
    void complete(UUID id, String worker, long durationMs) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT * FROM complete_build_with_result(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setObject(1, id);
            ps.setString(2, worker);
            ps.setInt(3, 0);
            ps.setLong(4, durationMs);
            ps.setNull(5, java.sql.Types.NUMERIC);
            ps.setNull(6, java.sql.Types.BIGINT);
            ps.setNull(7, java.sql.Types.VARCHAR);
            ps.setNull(8, java.sql.Types.VARCHAR);
            ps.setNull(9, java.sql.Types.BIGINT);
            ps.setNull(10, java.sql.Types.INTEGER);
            ps.setNull(11, java.sql.Types.VARCHAR);
            ps.setNull(12, java.sql.Types.VARCHAR);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("not held: " + id);
                }
                row(rs);
            }
        }
    }
}
