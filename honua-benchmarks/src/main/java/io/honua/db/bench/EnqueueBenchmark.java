package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.NewBuild;
import java.sql.SQLException;
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
 * Enqueue a batch of {@code batch} builds in one statement (library vs the same multi-row INSERT through JDBC), and the
 * one-at-a-time baseline ({@code enqueue_jdbc_single}: {@code batch} single-row INSERTs) that batching is meant to beat.
 * Scores are per invocation; divide by batch for per-build figures (BenchMain does).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EnqueueBenchmark {

    static final String ENQUEUE_CUSTOMER = "bench-enqueue";
    /** Finished builds (of the benchmark customer) that stay in the table, as in a running system. */
    static final int HISTORY_BUILDS = 10_000;

    @Param({"1", "100", "1000"})
    public int batch;

    private HikariDataSource ds;
    private BuildQueue queue;
    private JdbcQueue jdbc;
    private List<NewBuild> builds;

    @Setup(Level.Trial)
    public void setUp() {
        ds = BenchState.pool(4);
        queue = BenchState.queue(ds);
        jdbc = new JdbcQueue(ds);
        BenchData.ensureCustomer(ds, ENQUEUE_CUSTOMER);
        BenchData.ensureFinished(ds, HISTORY_BUILDS);
        builds = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            builds.add(NewBuild.builder(ENQUEUE_CUSTOMER).priority(1 + i % 10).build());
        }
    }

    /**
     * Enqueued builds are deleted between iterations so the table does not grow without bound; the table keeps its
     * finished history and its statistics are refreshed. Without both, every connection's cached foreign-key check of
     * {@code build_events} (planned while the table looked empty) scans the whole table, and an enqueue of 100 builds
     * grows from 4 to 70 ms within one iteration: the benchmark would measure stale statistics, not the enqueue.
     */
    @Setup(Level.Iteration)
    public void clean() {
        BenchState.exec(ds, "DELETE FROM build_queue WHERE customer_id = 'bench-enqueue'");
        BenchState.exec(ds, "VACUUM ANALYZE build_queue");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ds.close();
    }

    @Benchmark
    public List<Build> enqueue_lib() {
        return queue.enqueueAll(builds);
    }

    @Benchmark
    public List<JdbcQueue.Row> enqueue_jdbc() throws SQLException {
        return jdbc.enqueue(ENQUEUE_CUSTOMER, batch, 5);
    }

    @Benchmark
    public int enqueue_jdbc_single() throws SQLException {
        int n = 0;
        for (int i = 0; i < batch; i++) {
            n += jdbc.enqueue(ENQUEUE_CUSTOMER, 1, 5).size();
        }
        return n;
    }
}
