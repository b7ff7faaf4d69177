package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_EVENTS;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Chaos: 16 claiming threads (half completing one build per call, half a whole claim per {@code completeAll}) drain 20,000 builds of 1,000 customers (100 of them capped by a license) while another
 * thread terminates the workers' backends at random ({@code pg_terminate_backend}). Whatever the kills hit (a claim
 * before or after its commit, a completion before or after its commit, an idle pooled connection), every build must
 * end completed exactly once, no capped customer may ever run more builds than its cap, and nothing may be left
 * queued or running. Builds whose claim committed but whose worker never heard of it come back through
 * {@link BuildQueue#recoverExpiredLeases()} (short leases).
 */
class QueueFaultChaosTest {

    static final int TOTAL = 20_000;
    static final int CUSTOMERS = 1_000;
    static final int CAPPED = 100;
    static final int THREADS = 16;
    static final String APP = "honua-chaos-worker";

    /** The workers' pool ({@value #APP}, whose backends the killer terminates) and an admin pool of 4 for the rest. */
    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4).withNamedPool("chaos-workers", THREADS + 2, config -> {
        config.setMinimumIdle(2);
        config.setConnectionTimeout(10_000);
        config.addDataSourceProperty("ApplicationName", APP);
    });

    static HikariDataSource workers;
    static HikariDataSource admin;
    static HonuaDb honua;

    @BeforeAll
    static void setUp() {
        workers = fx.pool("chaos-workers");
        admin = fx.pool();
        honua = fx.honua();
    }

    @Test
    void killedConnectionsLoseNothingDuplicateNothingAndNeverBreakACap() throws Exception {
        DSLContext dsl = honua.dsl();
        List<String> customers = new ArrayList<>(CUSTOMERS);
        Map<String, Integer> caps = new HashMap<>();
        dsl.execute("INSERT INTO customers (customer_id, name, tier, subscription_status) "
                + "SELECT 'chaos-' || lpad(g::text, 4, '0'), 'Chaos ' || g, 'professional', 'active' FROM generate_series(0, {0}) g",
                DSL.val(CUSTOMERS - 1));
        for (int i = 0; i < CUSTOMERS; i++) {
            String c = String.format("chaos-%04d", i);
            customers.add(c);
            if (i % (CUSTOMERS / CAPPED) == 0) {
                int cap = 1 + i % 3;
                Fixtures.license(dsl, c, cap);
                caps.put(c, cap);
            }
        }
        BuildQueue setup = honua.buildQueue();
        for (int batch = 0; batch < TOTAL / 1000; batch++) {
            List<NewBuild> builds = new ArrayList<>(1000);
            for (int i = 0; i < 1000; i++) {
                int n = batch * 1000 + i;
                // maxAttempts high: a claim may commit and then lose its connection several times
                builds.add(NewBuild.builder(customers.get(n % CUSTOMERS)).priority(1 + n % 10).maxAttempts(100).build());
            }
            setup.enqueueAll(builds);
        }
        assertThat(setup.queuedCount()).isEqualTo(TOTAL);

        // the workers' queue: short leases so that builds claimed by a killed claim come back quickly
        BuildQueue queue = new BuildQueue(DSL.using(workers, org.jooq.SQLDialect.POSTGRES),
                QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(3)));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong kills = new AtomicLong();
        AtomicLong workerErrors = new AtomicLong();
        AtomicLong leaseLost = new AtomicLong();
        AtomicInteger completedCalls = new AtomicInteger();
        AtomicLong samples = new AtomicLong();
        Map<String, Integer> maxSeen = new ConcurrentHashMap<>();
        List<String> capViolations = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 3);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            String worker = "chaos-" + t;
            boolean batched = t % 2 == 0;
            futures.add(pool.submit(() -> {
                while (!stop.get()) {
                    List<Build> claimed;
                    try {
                        claimed = queue.claim(worker, 25);
                    } catch (RuntimeException e) {
                        workerErrors.incrementAndGet();
                        continue;
                    }
                    if (claimed.isEmpty()) {
                        Thread.sleep(50);
                        continue;
                    }
                    if (batched) {
                        // half the workers complete their claim in one statement (completeAll)
                        Map<java.util.UUID, Completion> all = new java.util.LinkedHashMap<>();
                        for (Build b : claimed) {
                            all.put(b.id(), Completion.builder(Duration.ofMillis(1)).exitCode(0).build());
                        }
                        try {
                            BatchResult r = queue.completeAll(worker, all);
                            completedCalls.addAndGet(r.done().size());
                            leaseLost.addAndGet(r.notHeld().size());
                        } catch (RuntimeException e) {
                            workerErrors.incrementAndGet(); // killed mid-call: committed or not, the checks below decide
                        }
                        continue;
                    }
                    for (Build b : claimed) {
                        try {
                            queue.complete(b.id(), worker, Completion.builder(Duration.ofMillis(1)).exitCode(0).build());
                            completedCalls.incrementAndGet();
                        } catch (LeaseLostException e) {
                            leaseLost.incrementAndGet();
                        } catch (RuntimeException e) {
                            workerErrors.incrementAndGet(); // killed mid-call: committed or not, the checks below decide
                        }
                    }
                }
                return null;
            }));
        }
        // the killer: terminates one of the workers' backends every 20..120 ms
        futures.add(pool.submit(() -> {
            DSLContext a = DSL.using(admin, org.jooq.SQLDialect.POSTGRES);
            while (!stop.get()) {
                Thread.sleep(ThreadLocalRandom.current().nextInt(20, 120));
                Integer pid = a.fetchValue(DSL.field("(SELECT pid FROM pg_stat_activity WHERE application_name = {0} "
                        + "AND datname = current_database() AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1)", Integer.class,
                        DSL.val(APP)));
                if (pid != null && Boolean.TRUE.equals(a.fetchValue(DSL.field("pg_terminate_backend({0})", Boolean.class, DSL.val(pid))))) {
                    kills.incrementAndGet();
                }
            }
            return null;
        }));
        // the lease recoverer (what a scheduler does in production)
        futures.add(pool.submit(() -> {
            BuildQueue recover = honua.buildQueue();
            while (!stop.get()) {
                Thread.sleep(500);
                recover.recoverExpiredLeases();
            }
            return null;
        }));
        // the observer: plain reads (no locks), running builds per capped customer
        String[] capped = caps.keySet().toArray(String[]::new);
        futures.add(pool.submit(() -> {
            DSLContext a = DSL.using(admin, org.jooq.SQLDialect.POSTGRES);
            while (!stop.get()) {
                for (Record2<String, Integer> r : a.select(BUILD_QUEUE.CUSTOMER_ID, DSL.count()).from(BUILD_QUEUE)
                        .where(BUILD_QUEUE.STATUS.eq("building")).and(BUILD_QUEUE.CUSTOMER_ID.in(capped))
                        .groupBy(BUILD_QUEUE.CUSTOMER_ID).fetch()) {
                    int cap = caps.get(r.value1());
                    maxSeen.merge(r.value1(), r.value2(), Math::max);
                    if (r.value2() > cap) {
                        capViolations.add(r.value1() + " ran " + r.value2() + " with cap " + cap);
                    }
                }
                samples.incrementAndGet();
                Thread.sleep(10);
            }
            return null;
        }));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        int completed = 0;
        while (System.nanoTime() < deadline) {
            completed = dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("completed"));
            if (completed == TOTAL) {
                break;
            }
            for (Future<?> f : futures) {
                if (f.isDone()) {
                    f.get(); // a helper thread died: show why
                }
            }
            Thread.sleep(200);
        }
        stop.set(true);
        for (Future<?> f : futures) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        System.out.printf("chaos: %d builds, %d kills, %d worker errors, %d lease lost, %d completions acknowledged, "
                + "%d observer samples%n", TOTAL, kills.get(), workerErrors.get(), leaseLost.get(), completedCalls.get(), samples.get());

        if (completed != TOTAL) {
            // diagnostics: what the builds that did not complete look like, and the customers' runnable entries
            System.out.println("not completed: " + dsl.selectFrom(BUILD_QUEUE).where(BUILD_QUEUE.STATUS.ne("completed")).fetch()
                    .format(20));
            System.out.println("runnable: " + dsl.fetch("SELECT r.* FROM build_queue_runnable r WHERE r.customer_id IN "
                    + "(SELECT customer_id FROM build_queue WHERE status <> 'completed')").format(20));
        }
        assertThat(kills.get()).as("the test must actually kill connections").isGreaterThan(10);
        assertThat(completed).as("completed builds").isEqualTo(TOTAL);
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.ne("completed"))).as("left queued/running/failed").isZero();
        assertThat(dsl.fetchCount(BUILD_RESULTS)).as("one result per build").isEqualTo(TOTAL);
        assertThat(dsl.fetchCount(dsl.selectDistinct(BUILD_RESULTS.BUILD_ID).from(BUILD_RESULTS))).isEqualTo(TOTAL);
        assertThat(dsl.fetchCount(dsl.select(BUILD_EVENTS.BUILD_ID).from(BUILD_EVENTS).where(BUILD_EVENTS.EVENT_TYPE.eq("completed"))
                .groupBy(BUILD_EVENTS.BUILD_ID).having(DSL.count().eq(1)))).as("builds with exactly one completion event")
                .isEqualTo(TOTAL);
        assertThat(dsl.fetchCount(BUILD_EVENTS, BUILD_EVENTS.EVENT_TYPE.eq("completed"))).as("completion events").isEqualTo(TOTAL);
        // completions acknowledged to a worker can only be fewer (a kill after the commit loses the answer), never more
        assertThat(completedCalls.get()).isLessThanOrEqualTo(TOTAL);
        assertThat(capViolations).as("cap violations seen by the observer").isEmpty();
        assertThat(samples.get()).as("observer samples").isGreaterThan(10);
        assertThat(maxSeen).as("capped customers observed running").isNotEmpty();
    }
}
