package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.analytics.Analytics;
import io.honua.db.analytics.CacheHitRate;
import io.honua.db.analytics.CustomerBuildUsage;
import io.honua.db.analytics.DailyBuildPerformance;
import io.honua.db.analytics.QueueDepth;
import io.honua.db.licensing.QuotaUsage;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Every analytics query, library ({@code _lib}) vs the same SQL through JDBC ({@code _jdbc}) on the same pool, over
 * {@code accessRows} access-log rows (100 customers, 100 days) and {@code finishedBuilds} finished builds (90 days).
 * {@code hitRate_rawlog} is the pre-rollup definition (a count over the raw log) for the same customer and period;
 * {@code buildPerf_view} is the seed's view filtered by day (reads the whole history) for the same 30 days.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AnalyticsBenchmark {

    @Param({"1000000"})
    public long accessRows;

    @Param({"100000"})
    public long finishedBuilds;

    private HikariDataSource ds;
    private Analytics analytics;
    private JdbcAnalytics jdbc;
    private LocalDate from;
    private LocalDate to;

    @Setup(Level.Trial)
    public void setUp() {
        ds = BenchState.pool(4);
        analytics = HonuaDb.create(ds).analytics();
        jdbc = new JdbcAnalytics(ds);
        AnalyticsData.ensure(ds, accessRows, finishedBuilds);
        to = LocalDate.now(ZoneOffset.UTC);
        from = to.minusDays(29);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ds.close();
    }

    @Benchmark
    public Optional<CacheHitRate> hitRate_lib() {
        return analytics.cacheHitRate(AnalyticsData.CUSTOMER, 90);
    }

    @Benchmark
    public Optional<CacheHitRate> hitRate_jdbc() throws SQLException {
        return jdbc.hitRate(AnalyticsData.CUSTOMER, 90);
    }

    @Benchmark
    public Optional<CacheHitRate> hitRate_rawlog() throws SQLException {
        return jdbc.hitRateRawLog(AnalyticsData.CUSTOMER, 90);
    }

    @Benchmark
    public List<CacheHitRate> hitRateAll_lib() {
        return analytics.cacheHitRates(90);
    }

    @Benchmark
    public List<CacheHitRate> hitRateAll_jdbc() throws SQLException {
        return jdbc.hitRates(90);
    }

    @Benchmark
    public Optional<QuotaUsage> quota_lib() {
        return analytics.licenseQuotaUsage(AnalyticsData.CUSTOMER);
    }

    @Benchmark
    public Optional<QuotaUsage> quota_jdbc() throws SQLException {
        return jdbc.quota(AnalyticsData.CUSTOMER);
    }

    @Benchmark
    public List<DailyBuildPerformance> buildPerf_lib() {
        return analytics.buildPerformance(from, to);
    }

    @Benchmark
    public List<DailyBuildPerformance> buildPerf_jdbc() throws SQLException {
        return jdbc.buildPerformance(from, to);
    }

    @Benchmark
    public List<DailyBuildPerformance> buildPerf_view() throws SQLException {
        return jdbc.buildPerformanceView(from, to);
    }

    @Benchmark
    public Optional<CustomerBuildUsage> usage_lib() {
        return analytics.customerBuildUsage(AnalyticsData.CUSTOMER);
    }

    @Benchmark
    public Optional<CustomerBuildUsage> usage_jdbc() throws SQLException {
        return jdbc.usage(AnalyticsData.CUSTOMER);
    }

    @Benchmark
    public QueueDepth queueDepth_lib() {
        return analytics.queueDepth();
    }

    @Benchmark
    public QueueDepth queueDepth_jdbc() throws SQLException {
        return jdbc.queueDepth();
    }
}
