package io.honua.db.queue;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A measuring harness, not a test: drains 10,000 no-op builds of 10 customers with two BuildWorkers x 10 concurrent
 * (the workload) and prints builds/s. Run with {@code -Dhonua.probe=true -Dtest=DrainProbe}.
 */
@EnabledIfSystemProperty(named = "honua.probe", matches = "true")
class DrainProbe {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(24);

    @Test
    void drain() throws Exception {
        HikariDataSource pool = fx.pool();
        HonuaDb honua = fx.honua();
        BuildQueue queue = honua.buildQueue();
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            customers.add(Fixtures.newCustomer(honua));
        }
        for (int batch = 0; batch < 10; batch++) {
            List<NewBuild> builds = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                builds.add(NewBuild.builder(customers.get(i % 10)).build());
            }
            queue.enqueueAll(builds);
        }
        honua.dsl().execute("VACUUM ANALYZE build_queue");
        long t0 = System.nanoTime();
        List<BuildWorker> workers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            workers.add(BuildWorker.builder(queue, pool, "drain-" + w, (b, ctx) -> Completion.builder(Duration.ZERO).build())
                    .maxConcurrent(10).batchSize(10).pollInterval(Duration.ofMillis(100)).start());
        }
        while (workers.stream().mapToLong(BuildWorker::completedCount).sum() < 10_000) {
            Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        workers.forEach(BuildWorker::close);
        System.out.printf("PROBE drain 10000 builds: %.2f s, %.0f builds/s%n", seconds, 10_000 / seconds);
    }
}
