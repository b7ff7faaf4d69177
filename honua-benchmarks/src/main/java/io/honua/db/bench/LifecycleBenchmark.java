package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.Completion;
import io.honua.db.queue.NewBuild;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The full life of a build: enqueue one, claim one, complete it (result row in the same transaction). Run with 1, 4
 * and 16 threads by BenchMain. Every thread is its own worker; a claim may take another thread's build, which is what
 * a real queue does.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LifecycleBenchmark {

    @State(Scope.Benchmark)
    public static class Shared {
        HikariDataSource ds;
        BuildQueue queue;
        JdbcQueue jdbc;
        NewBuild build;

        @Setup(Level.Trial)
        public void setUp(BenchmarkParams params) {
            ds = BenchState.pool(20);
            queue = BenchState.queue(ds);
            jdbc = new JdbcQueue(ds);
            BenchData.ensureCustomer(ds);
            build = NewBuild.builder(BenchState.CUSTOMER).priority(5).build();
            // JIT warm-up of the measured path, the same count for library and baseline (each runs in its own fork): at
            // a few hundred lifecycles per second the JMH warm-up iterations alone run a path only a few thousand times,
            // too few for C2 to compile jOOQ's deeper call chain, which then shows as library overhead that is not
            // there later.
            boolean library = params.getBenchmark().endsWith("_lib");
            try {
                for (int i = 0; i < Integer.getInteger(WARM_UP_PROPERTY, 2_000); i++) {
                    if (library) {
                        lib(this, "bench-warmup");
                    } else {
                        jdbc(this, "bench-warmup");
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Setup(Level.Iteration)
        public void clean() {
            BenchData.deleteRunBuilds(ds);   // the builds this benchmark ran, not the scale curve's history
            BenchState.exec(ds, "VACUUM build_queue, build_queue_runnable");   // see ClaimBenchmark.vacuum
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ds.close();
        }
    }

    @State(Scope.Thread)
    public static class Worker {
        String id;

        @Setup(Level.Trial)
        public void setUp(ThreadParams params) {
            id = "bench-worker-" + params.getThreadIndex();
        }
    }

    /** System property: lifecycles of the measured path run for the JIT before measuring (default 2,000). */
    static final String WARM_UP_PROPERTY = "honua.bench.lifecycleWarmUp";

    @Benchmark
    public Build lifecycle_lib(Shared s, Worker w) {
        return lib(s, w.id);
    }

    @Benchmark
    public JdbcQueue.Row lifecycle_jdbc(Shared s, Worker w) throws SQLException {
        return jdbc(s, w.id);
    }

    static Build lib(Shared s, String workerId) {
        s.queue.enqueue(s.build);
        for (int attempt = 0; attempt < 100; attempt++) {
            List<Build> claimed = s.queue.claim(workerId, 1);
            if (!claimed.isEmpty()) {
                return s.queue.complete(claimed.getFirst().id(), workerId, Completion.builder(Duration.ofMillis(1)).exitCode(0).build());
            }
        }
        throw new IllegalStateException("nothing to claim");
    }

    static JdbcQueue.Row jdbc(Shared s, String workerId) throws SQLException {
        s.jdbc.enqueue(BenchState.CUSTOMER, 1, 5);
        for (int attempt = 0; attempt < 100; attempt++) {
            List<JdbcQueue.Row> claimed = s.jdbc.claim(workerId, 1);
            if (!claimed.isEmpty()) {
                s.jdbc.complete(claimed.getFirst().id(), workerId, 1);
                return claimed.getFirst();
            }
        }
        throw new IllegalStateException("nothing to claim");
    }
}
