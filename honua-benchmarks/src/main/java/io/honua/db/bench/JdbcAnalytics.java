package io.honua.db.bench;

import io.honua.db.analytics.CacheHitRate;
import io.honua.db.analytics.CustomerBuildUsage;
import io.honua.db.analytics.DailyBuildPerformance;
import io.honua.db.analytics.QueueDepth;
import io.honua.db.licensing.QuotaUsage;
import io.honua.db.types.Tier;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The analytics baseline: the same SQL the library sends, through plain JDBC on the same pool, read into the same
 * result records. {@link #hitRateRawLog} is the V5 definition of get_cache_hit_rate (a scan of the raw log), to show
 * what the rollup saves.
 */
final class JdbcAnalytics {

    private final DataSource ds;

    JdbcAnalytics(DataSource ds) {
        this.ds = ds;
    }

    private static CacheHitRate hitRate(ResultSet rs) throws SQLException {
        return new CacheHitRate(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getBigDecimal(5));
    }

    Optional<CacheHitRate> hitRate(String customer, int days) throws SQLException {
        return hitRate("SELECT customer_id, total_accesses, hits, misses, hit_rate FROM get_cache_hit_rate(?, ?)", customer, days);
    }

    /** The one row (or none) of {@code sql}, which takes the customer and the number of days. */
    private Optional<CacheHitRate> hitRate(String sql, String customer, int days) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, customer);
            ps.setInt(2, days);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(hitRate(rs)) : Optional.empty();
            }
        }
    }

    List<CacheHitRate> hitRates(int days) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT customer_id, total_accesses, hits, misses, hit_rate FROM get_cache_hit_rate(CAST(? AS text), ?)")) {
            ps.setString(1, null);
            ps.setInt(2, days);
            try (ResultSet rs = ps.executeQuery()) {
                List<CacheHitRate> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(hitRate(rs));
                }
                return out;
            }
        }
    }

    /** V5's get_cache_hit_rate body: counts the raw log of the period. */
    Optional<CacheHitRate> hitRateRawLog(String customer, int days) throws SQLException {
        return hitRate("SELECT l.customer_id, count(*), count(*) FILTER (WHERE l.access_type = 'hit'), "
                + "count(*) FILTER (WHERE l.access_type = 'miss'), "
                + "round(count(*) FILTER (WHERE l.access_type = 'hit')::numeric / count(*), 4) "
                + "FROM build_access_log l WHERE l.customer_id = ? "
                + "AND l.accessed_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => ? - 1)) AT TIME ZONE 'UTC' "
                + "GROUP BY l.customer_id", customer, days);
    }

    Optional<QuotaUsage> quota(String customer) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT customer_id, tier, max_builds_per_month, builds_this_month, max_concurrent_builds, "
                             + "concurrent_builds, max_registries, registries_used FROM get_license_quota_usage(?)")) {
            ps.setString(1, customer);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new QuotaUsage(rs.getString(1), Tier.parse(rs.getString(2)), rs.getInt(3),
                        rs.getLong(4), rs.getInt(5), rs.getLong(6), rs.getInt(7), rs.getLong(8))) : Optional.empty();
            }
        }
    }

    private static <T> Optional<T> opt(ResultSet rs, int column, Class<T> type) throws SQLException {
        return Optional.ofNullable(rs.getObject(column, type));
    }

    List<DailyBuildPerformance> buildPerformance(LocalDate from, LocalDate to) throws SQLException {
        return performance("SELECT day, total_builds, succeeded, failed, avg_duration_ms, p95_duration_ms, avg_cpu_seconds, "
                + "max_peak_memory_bytes FROM get_build_performance(?, ?)", from, to);
    }

    /** The seed's view filtered by day: reads the whole finished history whatever the range. */
    List<DailyBuildPerformance> buildPerformanceView(LocalDate from, LocalDate to) throws SQLException {
        return performance("SELECT day, total_builds, succeeded, failed, avg_duration_ms, p95_duration_ms, avg_cpu_seconds, "
                + "max_peak_memory_bytes FROM build_performance_summary WHERE day BETWEEN ? AND ? ORDER BY day", from, to);
    }

    private List<DailyBuildPerformance> performance(String sql, LocalDate from, LocalDate to) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, from);
            ps.setObject(2, to);
            try (ResultSet rs = ps.executeQuery()) {
                List<DailyBuildPerformance> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new DailyBuildPerformance(rs.getObject(1, LocalDate.class), rs.getLong(2), rs.getLong(3),
                            rs.getLong(4), opt(rs, 5, Long.class), opt(rs, 6, Double.class), opt(rs, 7, BigDecimal.class),
                            opt(rs, 8, Long.class)));
                }
                return out;
            }
        }
    }

    private static final String USAGE = "SELECT customer_id, name, tier, total_builds, builds_this_month, succeeded, failed, "
            + "success_rate, avg_duration_ms, last_build_at FROM customer_build_usage";

    private static CustomerBuildUsage usage(ResultSet rs) throws SQLException {
        OffsetDateTime last = rs.getObject(10, OffsetDateTime.class);
        return new CustomerBuildUsage(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                rs.getLong(6), rs.getLong(7), opt(rs, 8, BigDecimal.class), opt(rs, 9, Long.class),
                Optional.ofNullable(last).map(OffsetDateTime::toInstant));
    }

    Optional<CustomerBuildUsage> usage(String customer) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(USAGE + " WHERE customer_id = ?")) {
            ps.setString(1, customer);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(usage(rs)) : Optional.empty();
            }
        }
    }

    QueueDepth queueDepth() throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT count(*) FILTER (WHERE status = 'queued'), "
                             + "count(*) FILTER (WHERE status = 'queued' AND pending_dependencies = 0 AND not_before <= current_timestamp), "
                             + "count(*) FILTER (WHERE status = 'building'), min(queued_at) FILTER (WHERE status = 'queued'), "
                             + "current_timestamp FROM build_queue WHERE status IN ('queued', 'building')");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            OffsetDateTime oldest = rs.getObject(4, OffsetDateTime.class);
            Instant now = rs.getObject(5, OffsetDateTime.class).toInstant();
            return new QueueDepth(rs.getInt(1), rs.getInt(2), rs.getInt(3),
                    Optional.ofNullable(oldest).map(t -> Duration.between(t.toInstant(), now)));
        }
    }
}
