package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildQueue;
import java.sql.SQLException;
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
 * Claim n builds ({@code claim_builds}, FOR UPDATE SKIP LOCKED) from a queue of {@code queued} builds, library vs the
 * same statement through JDBC. After each claim the harness puts the builds back (the same statement for both), so the
 * queue stays at its size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ClaimBenchmark {

    @Param({"1", "10", "100"})
    public int n;

    /** Queued builds present while claiming (BenchMain loads them; the scale run raises it). */
    @Param({"10000"})
    public int queued;

    private HikariDataSource ds;
    private BuildQueue queue;
    private JdbcQueue jdbc;

    @Setup(Level.Trial)
    public void setUp() {
        ds = BenchState.pool(4);
        queue = BenchState.queue(ds);
        jdbc = new JdbcQueue(ds);
        BenchData.ensureQueued(ds, queued);
    }

    /**
     * Every iteration starts from the same state: each claim and put-back leaves dead row versions in build_queue and
     * in the customer's build_queue_runnable row (its fair-share position is indexed, so the update is not HOT), which
     * claims then walk past until autovacuum runs (claim + put-back of 1 build slowed from 895 to 641 per second over
     * 60 s without it). Without the runnable table here, the variant run later inherited more of them.
     */
    @Setup(Level.Iteration)
    public void vacuum() {
        BenchState.exec(ds, "VACUUM build_queue, build_queue_runnable");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ds.close();
    }

    @Benchmark
    public List<Build> claim_lib() {
        List<Build> claimed = queue.claim("bench-lib", n);
        BenchState.resetClaims(ds, "bench-lib");
        return claimed;
    }

    @Benchmark
    public List<JdbcQueue.Row> claim_jdbc() throws SQLException {
        List<JdbcQueue.Row> claimed = jdbc.claim("bench-jdbc", n);
        BenchState.resetClaims(ds, "bench-jdbc");
        return claimed;
    }
}
