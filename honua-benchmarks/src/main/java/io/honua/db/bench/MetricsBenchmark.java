package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.metrics.BuildMetrics;
import io.honua.db.metrics.MetricBucket;
import io.honua.db.metrics.MetricSample;
import io.honua.db.metrics.SeriesQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
 * Build metrics beside raw JDBC running the same SQL on the same pool:
 * <ul>
 *   <li>{@code metricsrecord}: a batch of {@code samplesPerBatch} labelled samples of one build
 *       ({@code record_build_metrics} with arrays, one statement);</li>
 *   <li>{@code metricsseries}: one metric of one build over the last 24 h in 5-minute buckets (avg/min/max/p95 per
 *       bucket, {@code build_metric_series}) out of {@value #SERIES_SAMPLES} samples of that build among
 *       {@value #BUILDS} builds' metrics.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MetricsBenchmark {

    static final int BUILDS = 20;
    static final int SERIES_SAMPLES = 2_880;   // one every 30 s for 24 h, per build
    static final String CUSTOMER = "bench-metrics";

    /** Samples per recorded batch (not named "batch": the report would multiply the series' ops/s by it too). */
    @Param({"100"})
    public int samplesPerBatch;

    private HikariDataSource ds;
    private BuildMetrics metrics;
    private UUID recordBuild;
    private UUID seriesBuild;
    private List<MetricSample> samples;
    private String[] names;
    private Double[] values;
    private String[] labels;
    private Instant from;
    private Instant to;

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        ds = BenchState.pool(4);
        metrics = HonuaDb.create(ds).buildMetrics();
        BenchState.exec(ds, "INSERT INTO customers (customer_id, name) VALUES ('" + CUSTOMER + "', 'metrics') ON CONFLICT DO NOTHING");
        BenchState.exec(ds, "DELETE FROM build_queue WHERE customer_id = '" + CUSTOMER + "'");
        List<UUID> builds = new ArrayList<>();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO build_queue (customer_id, status) VALUES (?, 'completed') RETURNING id")) {
            for (int i = 0; i < BUILDS + 1; i++) {
                ps.setString(1, CUSTOMER);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    builds.add(rs.getObject(1, UUID.class));
                }
            }
        }
        recordBuild = builds.get(BUILDS);
        seriesBuild = builds.get(0);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        to = now;
        from = now.minus(Duration.ofHours(24));
        // every build: a cpu sample every 30 s over the last 24 h, labelled by host
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "INSERT INTO build_metrics (build_id, metric_name, metric_value, labels, metric_timestamp) "
                             + "SELECT b, 'cpu', random() * 100, jsonb_build_object('host', 'h' || (g % 4)), ?::timestamptz - g * interval '30 seconds' "
                             + "FROM unnest(?::uuid[]) b, generate_series(1, ?) g")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setArray(2, c.createArrayOf("uuid", builds.subList(0, BUILDS).toArray()));
            ps.setInt(3, SERIES_SAMPLES);
            ps.executeUpdate();
        }
        BenchState.exec(ds, "SELECT count(*) FROM maintain_partitions()");   // daily partitions, strays moved out of DEFAULT
        BenchState.exec(ds, "VACUUM ANALYZE build_metrics");
        samples = new ArrayList<>(samplesPerBatch);
        names = new String[samplesPerBatch];
        values = new Double[samplesPerBatch];
        labels = new String[samplesPerBatch];
        for (int i = 0; i < samplesPerBatch; i++) {
            String name = "bench." + (i % 5);
            double value = i * 1.5;
            samples.add(new MetricSample(name, value, Map.of("host", "h" + (i % 4), "stage", "test"), now));
            names[i] = name;
            values[i] = value;
            labels[i] = "{\"host\":\"h" + (i % 4) + "\",\"stage\":\"test\"}";
        }
        // both sides must do the same work: the same buckets, a full day of them
        List<MetricBucket> lib = metricsseries_lib();
        List<MetricBucket> jdbc = metricsseries_jdbc();
        if (!lib.equals(jdbc) || lib.size() != 288) {
            throw new IllegalStateException("series differ or incomplete: lib " + lib.size() + " buckets, jdbc " + jdbc.size());
        }
    }

    @Setup(Level.Iteration)
    public void clean() {
        BenchState.exec(ds, "DELETE FROM build_metrics WHERE build_id = '" + recordBuild + "'");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ds.close();
    }

    @Benchmark
    public int metricsrecord_lib() {
        return metrics.record(recordBuild, samples);
    }

    @Benchmark
    public int metricsrecord_jdbc() throws SQLException {
        Long[] at = new Long[samplesPerBatch];
        for (int i = 0; i < samplesPerBatch; i++) {
            at[i] = samples.get(i).at().toEpochMilli();
        }
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT record_build_metrics(?, ?, ?, ?, ?)")) {
            ps.setObject(1, recordBuild);
            ps.setArray(2, c.createArrayOf("text", names));
            ps.setArray(3, c.createArrayOf("float8", values));
            ps.setArray(4, c.createArrayOf("jsonb", labels));
            ps.setArray(5, c.createArrayOf("int8", at));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Benchmark
    public List<MetricBucket> metricsseries_lib() {
        return metrics.series(SeriesQuery.builder("cpu", from, to, Duration.ofMinutes(5)).build(seriesBuild).build());
    }

    @Benchmark
    public List<MetricBucket> metricsseries_jdbc() throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT bucket_start, samples, avg_value, min_value, max_value, p95_value "
                     + "FROM build_metric_series(?, ?, ?, ?::interval, ?, ?, ?::jsonb)")) {
            ps.setString(1, "cpu");
            ps.setObject(2, java.time.OffsetDateTime.ofInstant(from, java.time.ZoneOffset.UTC));
            ps.setObject(3, java.time.OffsetDateTime.ofInstant(to, java.time.ZoneOffset.UTC));
            ps.setString(4, "300 seconds");
            ps.setObject(5, seriesBuild);
            ps.setNull(6, java.sql.Types.VARCHAR);
            ps.setNull(7, java.sql.Types.VARCHAR);
            List<MetricBucket> out = new ArrayList<>(300);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new MetricBucket(rs.getObject(1, java.time.OffsetDateTime.class).toInstant(), rs.getLong(2),
                            rs.getDouble(3), rs.getDouble(4), rs.getDouble(5), rs.getDouble(6)));
                }
            }
            return out;
        }
    }
}
