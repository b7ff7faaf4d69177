package io.honua.db.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.queue.BuildQueue;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * What every benchmark fork shares: one pool on the benchmark database (prepared by {@link BenchMain}, URL passed as
 * {@code -Dhonua.bench.url}), the library over that pool, and helpers for the raw-JDBC baselines.
 */
final class BenchState {

    static final String CUSTOMER = "bench-customer";

    private BenchState() {
    }

    static HikariDataSource pool(int size) {
        String url = System.getProperty("honua.bench.url");
        if (url == null) {
            throw new IllegalStateException("run the benchmarks through BenchMain (it prepares the database and sets -Dhonua.bench.url)");
        }
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(System.getProperty("honua.bench.user", "postgres"));
        String password = System.getProperty("honua.bench.password", "");
        if (!password.isEmpty()) {
            c.setPassword(password);
        }
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(size);
        c.setPoolName("bench");
        // the same driver-level statement cache for both sides
        c.addDataSourceProperty("prepareThreshold", "1");
        return new HikariDataSource(c);
    }

    static BuildQueue queue(HikariDataSource ds) {
        return HonuaDb.create(ds).buildQueue();
    }

    static void exec(HikariDataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Puts every build a worker holds back into the queue (harness, identical for library and baseline). */
    static void resetClaims(HikariDataSource ds, String worker) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "UPDATE build_queue SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, attempts = 0 "
                             + "WHERE worker_id = ? AND status = 'building'")) {
            ps.setString(1, worker);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A {@code timestamptz} column as an {@link Instant} ({@code null} when SQL NULL), for the baselines' rows. */
    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
