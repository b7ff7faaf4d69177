package io.honua.db.queue;

import io.honua.db.HonuaDb;
import io.honua.db.testing.HonuaFixture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A measuring harness, not a test (no assertions): claim latency against the number of customers with queued builds,
 * 4 concurrent claimers, n = 10, each customer 20 queued builds; claimed builds are released again (not timed) so the
 * backlog stays. Run with {@code -Dhonua.probe=true -Dtest=TenantCurveProbe}; prints one line per customer count.
 */
@EnabledIfSystemProperty(named = "honua.probe", matches = "true")
class TenantCurveProbe {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(8);

    @Test
    void curve() throws Exception {
        String spec = System.getProperty("honua.probe.customers", "1,100,1000,10000");
        HonuaDb honua = fx.honua();
        DSLContext dsl = honua.dsl();
        BuildQueue queue = honua.buildQueue();
        int have = 0;
        for (String s : spec.split(",")) {
            int n = Integer.parseInt(s.trim());
            if (n > have) {
                dsl.execute("INSERT INTO customers (customer_id, name) SELECT 'probe-' || g, 'probe' FROM generate_series(?::int, ?::int) g", have + 1, n);
                dsl.execute("INSERT INTO build_queue (customer_id, priority) SELECT 'probe-' || g, 1 + (b % 10) "
                        + "FROM generate_series(?::int, ?::int) g, generate_series(1, 20) b", have + 1, n);
                have = n;
            }
            dsl.execute("VACUUM ANALYZE build_queue");
            int threads = 4;
            int rounds = Integer.getInteger("honua.probe.rounds", 150);
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            List<Future<long[]>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String w = "probe-w" + t;
                fs.add(ex.submit(() -> {
                    long[] lat = new long[rounds];
                    for (int i = 0; i < rounds; i++) {
                        long t0 = System.nanoTime();
                        List<Build> got = queue.claim(w, 10);
                        lat[i] = System.nanoTime() - t0;
                        for (Build b : got) {
                            queue.release(b.id(), w);
                        }
                    }
                    return lat;
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<long[]> f : fs) {
                for (long l : f.get()) {
                    all.add(l);
                }
            }
            ex.shutdown();
            long[] a = all.stream().mapToLong(Long::longValue).sorted().toArray();
            // skip the first 10% as warm-up noise: report over the whole set, sorted
            System.out.printf("PROBE customers=%d claims=%d p50=%.2f ms p99=%.2f ms%n", n, a.length,
                    a[a.length / 2] / 1e6, a[(int) (a.length * 0.99)] / 1e6);
            System.out.flush();
            Arrays.fill(a, 0);
        }
    }
}
