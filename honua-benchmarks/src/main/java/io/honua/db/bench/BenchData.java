package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Data sets for the benchmarks, generated server-side. */
final class BenchData {

    private BenchData() {
    }

    static void ensureCustomer(HikariDataSource ds) {
        ensureCustomer(ds, BenchState.CUSTOMER);
    }

    static void ensureCustomer(HikariDataSource ds, String id) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO customers (customer_id, name, tier, subscription_status) "
                     + "VALUES (?, 'Benchmark', 'enterprise', 'active') ON CONFLICT DO NOTHING")) {
            ps.setString(1, id);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(Connection c, String status) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM build_queue WHERE status = ?")) {
            ps.setString(1, status);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Exactly {@code n} queued builds of the benchmark customer (spread over 10 priorities). */
    static void ensureQueued(HikariDataSource ds, int n) {
        ensureCustomer(ds);
        BenchState.exec(ds, "UPDATE build_queue SET status = 'queued', worker_id = NULL WHERE status = 'building'");
        try (Connection c = ds.getConnection()) {
            long have = count(c, "queued");
            if (have > n) {
                try (PreparedStatement ps = c.prepareStatement(
                        "DELETE FROM build_queue WHERE id IN (SELECT id FROM build_queue WHERE status = 'queued' LIMIT ?)")) {
                    ps.setLong(1, have - n);
                    ps.executeUpdate();
                }
            } else if (have < n) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO build_queue (customer_id, priority) "
                                + "SELECT 'bench-customer', 1 + g % 10 FROM generate_series(1, ?) g")) {
                    ps.setLong(1, n - have);
                    ps.executeUpdate();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        BenchState.exec(ds, "VACUUM ANALYZE build_queue");
    }

    /** worker_id of the finished history builds {@link #ensureFinished} adds; no benchmark claims under it. */
    static final String HISTORY_WORKER = "history";

    /**
     * Deletes the benchmark customer's builds a benchmark ran (still building, or finished within the day), keeping
     * the history of {@link #ensureFinished} (worker {@link #HISTORY_WORKER}, finished 29 days ago): deleting that
     * history between iterations would defeat the scale curve's stage, and 10,000,000 rows of it outlast the library's
     * 5-minute statement timeout, which the pool's connections carry once the library used them.
     */
    static void deleteRunBuilds(HikariDataSource ds) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "DELETE FROM build_queue WHERE customer_id = 'bench-customer' AND worker_id IS DISTINCT FROM ? "
                             + "AND (status = 'building' OR (status IN ('completed', 'failed', 'timeout') "
                             + "AND completed_at > now() - interval '1 day'))")) {
            ps.setString(1, HISTORY_WORKER);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Adds finished builds (status completed, with results) until {@code n} exist; events and triggers are skipped for
     * speed (session_replication_role = replica), which is fine for history that only has to be present.
     */
    static void ensureFinished(HikariDataSource ds, long n) {
        ensureCustomer(ds);
        try (Connection c = ds.getConnection()) {
            long have = count(c, "completed");
            if (have >= n) {
                return;
            }
            c.setAutoCommit(false);
            try (PreparedStatement replica = c.prepareStatement("SET LOCAL session_replication_role = replica");
                 PreparedStatement ps = c.prepareStatement(
                         "INSERT INTO build_queue (customer_id, priority, status, worker_id, queued_at, started_at, completed_at, "
                                 + "attempts, claim_rank, event_seq) "
                                 + "SELECT 'bench-customer', 1 + g % 10, 'completed', ?, now() - interval '30 days', "
                                 + "now() - interval '30 days', now() - interval '29 days', 1, 0, 3 FROM generate_series(1, ?) g")) {
                replica.execute();
                ps.setString(1, HISTORY_WORKER);
                ps.setLong(2, n - have);
                ps.executeUpdate();
            }
            c.commit();
            c.setAutoCommit(true);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        BenchState.exec(ds, "VACUUM ANALYZE build_queue");
        // flush the bulk load now, so that its deferred writes (checkpoint) do not land in the measurement
        BenchState.exec(ds, "CHECKPOINT");
    }
}
