package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The analytics data set, generated server-side once per benchmark database: {@code customers} customers
 * ({@code bench-a-0..}), access-log rows spread evenly over the last 100 days (through the parent table, so the
 * rollup trigger maintains {@code cache_access_daily} as in production), finished builds (90% completed, 10% failed)
 * over the last 90 days with their {@code build_results}, and a license for {@link #CUSTOMER}.
 */
final class AnalyticsData {

    static final int CUSTOMERS = 100;
    static final String CUSTOMER = "bench-a-7";

    private AnalyticsData() {
    }

    static void ensure(HikariDataSource ds, long accessRows, long finishedBuilds) {
        try (Connection c = ds.getConnection()) {
            for (int i = 0; i < CUSTOMERS; i++) {
                BenchData.ensureCustomer(ds, "bench-a-" + i);
            }
            long haveLog = count(c, "SELECT count(*) FROM build_access_log WHERE customer_id LIKE 'bench-a-%'");
            if (haveLog < accessRows) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO build_access_log (customer_id, manifest_hash, tier, access_type, accessed_at) "
                                + "SELECT 'bench-a-' || (g % " + CUSTOMERS + "), md5((g % 5000)::text) || md5('x'), 'free', "
                                + "CASE WHEN g % 3 = 0 THEN 'miss' ELSE 'hit' END, "
                                + "now() - interval '100 days' + g * make_interval(secs => 8640000.0 / ?) "
                                + "FROM generate_series(1, ?) g")) {
                    ps.setLong(1, accessRows - haveLog);
                    ps.setLong(2, accessRows - haveLog);
                    ps.executeUpdate();
                }
            }
            long haveBuilds = count(c, "SELECT count(*) FROM build_queue WHERE worker_id = 'history-analytics'");
            if (haveBuilds < finishedBuilds) {
                c.setAutoCommit(false);
                try (PreparedStatement replica = c.prepareStatement("SET LOCAL session_replication_role = replica");
                     PreparedStatement builds = c.prepareStatement(
                             "INSERT INTO build_queue (customer_id, priority, status, worker_id, queued_at, started_at, "
                                     + "completed_at, attempts, claim_rank, event_seq) "
                                     + "SELECT 'bench-a-' || (g % " + CUSTOMERS + "), 1 + g % 10, "
                                     + "CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'completed' END, 'history-analytics', "
                                     + "t - interval '5 minutes', t - interval '4 minutes', t, 1, 0, 3 "
                                     + "FROM (SELECT g, now() - g * make_interval(secs => 7776000.0 / ?) AS t "
                                     + "      FROM generate_series(1, ?) g) x");
                     PreparedStatement results = c.prepareStatement(
                             "INSERT INTO build_results (build_id, success, exit_code, duration_ms, cpu_seconds, peak_memory_bytes) "
                                     + "SELECT id, status = 'completed', CASE WHEN status = 'completed' THEN 0 ELSE 1 END, "
                                     + "30000 + (hashtext(id::text) & 65535), ((hashtext(id::text) & 1023) / 10.0)::numeric(14,3), "
                                     + "(hashtext(id::text) & 1048575)::bigint * 1024 "
                                     + "FROM build_queue WHERE worker_id = 'history-analytics' "
                                     + "ON CONFLICT (build_id) DO NOTHING")) {
                    replica.execute();
                    builds.setLong(1, finishedBuilds - haveBuilds);
                    builds.setLong(2, finishedBuilds - haveBuilds);
                    builds.executeUpdate();
                    results.executeUpdate();
                }
                c.commit();
                c.setAutoCommit(true);
            }
            if (count(c, "SELECT count(*) FROM licenses WHERE customer_id = '" + CUSTOMER + "'") == 0) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO licenses (customer_id, tier, status, license_key_hash, license_key_encrypted, "
                                + "encryption_key_id, max_builds_per_month, max_registries, max_concurrent_builds) "
                                + "VALUES (?, 'enterprise', 'active', encode(sha256(?::bytea), 'hex'), '\\x01', 'bench', 100000, 10, 50)")) {
                    ps.setString(1, CUSTOMER);
                    ps.setString(2, CUSTOMER);
                    ps.executeUpdate();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        BenchState.exec(ds, "VACUUM ANALYZE build_queue");
        BenchState.exec(ds, "VACUUM ANALYZE build_results");
        BenchState.exec(ds, "VACUUM ANALYZE build_access_log");
        BenchState.exec(ds, "VACUUM ANALYZE cache_access_daily");
        // every fork (library and baseline alike) starts with nothing left for autovacuum to do (the first fork's
        // million inserted log rows would otherwise be vacuumed in the background of a later fork) and no dirty pages
        BenchState.exec(ds, "CHECKPOINT");
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
