package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.cache.AccessEvent;
import io.honua.db.cache.CacheAccessRecorder;
import io.honua.db.cache.RecorderOptions;
import io.honua.db.types.Tier;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * Batched access recording: {@code batch} hits per invocation.
 * <ul>
 *   <li>{@code recordbatch_lib}: the {@link CacheAccessRecorder} — record() each event, then wait until all are written
 *       (so the score is the end-to-end time to get them into the database, not just into the buffer);</li>
 *   <li>{@code recordbatch_jdbc}: the same batch statement the recorder sends ({@code record_cache_accesses} with
 *       arrays) through JDBC, in batches of the recorder's batch size;</li>
 *   <li>{@code recordbatch_jdbc_single}: the one-at-a-time baseline: {@code batch} calls of {@code record_cache_access}
 *       over one connection, each its own transaction.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CacheRecorderBenchmark {

    @Param({"1000"})
    public int batch;

    private static final int WRITE_BATCH = 1000;

    private HikariDataSource ds;
    private CacheAccessRecorder recorder;
    private JdbcCache jdbc;
    private String[] keys;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        ds = BenchState.pool(4);
        recorder = HonuaDb.create(ds).buildCache().recorder(RecorderOptions.DEFAULTS.withBatchSize(WRITE_BATCH));
        jdbc = new JdbcCache(ds);
        JdbcCache.ensureData(ds);
        keys = new String[1024];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = JdbcCache.hash(1 + (int) ((i * 7919L) % JdbcCache.ENTRIES));
        }
    }

    @Setup(Level.Iteration)
    public void clean() {
        BenchState.exec(ds, "TRUNCATE build_access_log, cache_access_batches");
        BenchState.exec(ds, "VACUUM build_cache_registry");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        recorder.close();
        ds.close();
    }

    private String key() {
        next = (next + 1) & (keys.length - 1);
        return keys[next];
    }

    @Benchmark
    public long recordbatch_lib() {
        for (int i = 0; i < batch; i++) {
            recorder.record(new AccessEvent(JdbcCache.CUSTOMER, key(), Tier.STANDARD, true, Instant.now()), Duration.ofSeconds(60));
        }
        if (!recorder.flush(Duration.ofSeconds(60))) {
            throw new IllegalStateException("recorder did not flush: " + recorder.report());
        }
        return recorder.report().written();
    }

    @Benchmark
    public int recordbatch_jdbc() throws SQLException {
        int written = 0;
        List<JdbcCache.Access> chunk = new ArrayList<>(WRITE_BATCH);
        for (int i = 0; i < batch; i++) {
            chunk.add(new JdbcCache.Access(JdbcCache.CUSTOMER, key(), "standard", true, Instant.now()));
            if (chunk.size() == WRITE_BATCH || i == batch - 1) {
                written += jdbc.recordBatch(chunk);
                chunk = new ArrayList<>(WRITE_BATCH);
            }
        }
        return written;
    }

    @Benchmark
    public long recordbatch_jdbc_single() throws SQLException {
        long last = 0;
        try (Connection c = ds.getConnection()) {
            for (int i = 0; i < batch; i++) {
                last = JdbcCache.record(c, JdbcCache.CUSTOMER, key(), "standard", true);
            }
        }
        return last;
    }
}
