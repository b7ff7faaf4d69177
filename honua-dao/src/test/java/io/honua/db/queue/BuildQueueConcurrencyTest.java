package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_EVENTS;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The queue's concurrency claims, proved with many threads and checked in the database. */
class BuildQueueConcurrencyTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(20);

    static HikariDataSource pool;
    static HonuaDb honua;
    static BuildQueue queue;

    @BeforeAll
    static void setUp() {
        pool = fx.pool();
        honua = fx.honua();
        queue = honua.buildQueue();
    }

    @BeforeEach
    void emptyQueue() {
        honua.dsl().deleteFrom(BUILD_QUEUE).execute();
    }

    @Test
    void sixteenThreadsCompleteTwentyThousandBuildsEachExactlyOnce() throws Exception {
        List<String> customers = List.of(Fixtures.newCustomer(honua), Fixtures.newCustomer(honua), Fixtures.newCustomer(honua));
        int total = 20_000;
        for (int batch = 0; batch < total / 1000; batch++) {
            List<NewBuild> builds = new ArrayList<>(1000);
            for (int i = 0; i < 1000; i++) {
                builds.add(NewBuild.builder(customers.get(i % customers.size())).priority(1 + i % 10).build());
            }
            queue.enqueueAll(builds);
        }
        assertThat(queue.queuedCount()).isEqualTo(total);

        int threads = 16;
        AtomicInteger completedByWorkers = new AtomicInteger();
        Set<UUID> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicatesInMemory = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String worker = "worker-" + t;
            futures.add(pool.submit(() -> {
                int idle = 0;
                while (idle < 3) {
                    List<Build> claimed = queue.claim(worker, 10);
                    if (claimed.isEmpty()) {
                        idle++;
                        Thread.sleep(20);
                        continue;
                    }
                    idle = 0;
                    for (Build b : claimed) {
                        if (!seen.add(b.id())) {
                            duplicatesInMemory.incrementAndGet();
                        }
                        queue.complete(b.id(), worker, Completion.builder(Duration.ofMillis(1)).build());
                        completedByWorkers.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();

        DSLContext dsl = honua.dsl();
        assertThat(duplicatesInMemory).hasValue(0);
        assertThat(completedByWorkers).hasValue(total);
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("completed"))).isEqualTo(total);
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.ne("completed"))).isZero();
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.ATTEMPTS.ne(1))).as("claimed more than once").isZero();
        assertThat(dsl.fetchCount(BUILD_RESULTS)).isEqualTo(total);
        assertThat(dsl.fetchCount(BUILD_EVENTS, BUILD_EVENTS.EVENT_TYPE.eq("claimed"))).isEqualTo(total);
        assertThat(dsl.fetchCount(BUILD_EVENTS, BUILD_EVENTS.EVENT_TYPE.eq("completed"))).isEqualTo(total);
        // per build: events 1, 2, 3 without gaps
        assertThat(dsl.fetchCount(dsl.select(BUILD_EVENTS.BUILD_ID).from(BUILD_EVENTS).groupBy(BUILD_EVENTS.BUILD_ID)
                .having(DSL.count().ne(3).or(DSL.max(BUILD_EVENTS.SEQ).ne(3)).or(DSL.countDistinct(BUILD_EVENTS.SEQ).ne(3)))))
                .isZero();
        // the scheduler state settles: once a claim found nothing, no customer is left marked ready
        assertThat(queue.claim("after", 10)).isEmpty();
        assertThat(queue.claim("after", 10)).isEmpty();
        assertThat(dsl.fetchCount(io.honua.db.schema.generated.Tables.BUILD_QUEUE_RUNNABLE,
                io.honua.db.schema.generated.Tables.BUILD_QUEUE_RUNNABLE.READY.isTrue())).isZero();
    }

    @Test
    void aWorkerWhoseConnectionIsKilledLosesNothing() throws Exception {
        String c = Fixtures.newCustomer(honua);
        Build b = queue.enqueue(NewBuild.builder(c).maxAttempts(3).build());
        BuildQueue shortLeases = new BuildQueue(honua.dsl(), QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(1)));

        Connection own = pool.getConnection();
        {
            DSLContext workerDsl = DSL.using(own, SQLDialect.POSTGRES);
            BuildQueue dyingWorker = new BuildQueue(workerDsl, shortLeases.options());
            assertThat(dyingWorker.claim("doomed", 1)).extracting(Build::id).containsExactly(b.id());
            int pid = workerDsl.fetchValue(DSL.field("pg_backend_pid()", Integer.class));
            honua.dsl().fetchValue(DSL.field("pg_terminate_backend({0})", Boolean.class, DSL.val(pid)));
            pool.evictConnection(own); // the pool must not hand out the dead connection again
        }
        assertThat(queue.find(b.id()).orElseThrow().status()).isEqualTo(BuildStatus.BUILDING);

        Thread.sleep(1_500); // the lease runs out
        assertThat(queue.recoverExpiredLeases()).isEqualTo(1);
        Build requeued = queue.find(b.id()).orElseThrow();
        assertThat(requeued.status()).isEqualTo(BuildStatus.QUEUED);
        assertThat(requeued.attempts()).isEqualTo(1);
        assertThat(requeued.lastError()).hasValueSatisfying(e -> assertThat(e).contains("lease expired"));

        assertThat(queue.claim("rescuer", 1)).singleElement().extracting(Build::attempts).isEqualTo(2);
        queue.complete(b.id(), "rescuer", Completion.builder(Duration.ofSeconds(1)).build());
        assertThat(queue.events(b.id())).extracting(BuildEvent::seq, BuildEvent::type).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, "queued"), org.assertj.core.groups.Tuple.tuple(2, "claimed"),
                org.assertj.core.groups.Tuple.tuple(3, "requeued"), org.assertj.core.groups.Tuple.tuple(4, "claimed"),
                org.assertj.core.groups.Tuple.tuple(5, "completed"));
    }

    @Test
    void expiredLeaseWithNoAttemptsLeftEndsAsTimeout() throws Exception {
        String c = Fixtures.newCustomer(honua);
        BuildQueue shortLeases = new BuildQueue(honua.dsl(), QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(1)));
        Build b = shortLeases.enqueue(NewBuild.builder(c).maxAttempts(1).build());
        shortLeases.claim("w", 1);
        Thread.sleep(1_500);
        assertThat(shortLeases.recoverExpiredLeases()).isEqualTo(1);
        assertThat(queue.find(b.id()).orElseThrow().status()).isEqualTo(BuildStatus.TIMEOUT);
        assertThat(queue.claim("w", 1)).isEmpty();
    }

    @Test
    void eightThreadsEnqueueingWithOneKeyMakeOneBuild() throws Exception {
        String c = Fixtures.newCustomer(honua);
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<UUID>> ids = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ids.add(pool.submit(() -> {
                start.await();
                return queue.enqueue(NewBuild.builder(c).idempotencyKey("deploy-42").build()).id();
            }));
        }
        Set<UUID> distinct = ConcurrentHashMap.newKeySet();
        for (Future<UUID> f : ids) {
            distinct.add(f.get());
        }
        pool.shutdown();
        assertThat(distinct).hasSize(1);
        assertThat(honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c))).isEqualTo(1);
        assertThat(honua.dsl().fetchCount(BUILD_EVENTS, BUILD_EVENTS.BUILD_ID.eq(distinct.iterator().next()))).isEqualTo(1);
    }

    @Test
    void concurrentClaimersNeverExceedALicenseCap() throws Exception {
        String c = Fixtures.newCustomer(honua);
        Fixtures.license(honua.dsl(), c, 3);
        List<NewBuild> builds = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            builds.add(NewBuild.builder(c).build());
        }
        queue.enqueueAll(builds);
        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> claimed = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String worker = "w" + t;
            claimed.add(pool.submit(() -> {
                start.await();
                int n = 0;
                for (int round = 0; round < 5; round++) {
                    n += queue.claim(worker, 2).size();
                }
                return n;
            }));
        }
        int sum = 0;
        for (Future<Integer> f : claimed) {
            sum += f.get();
        }
        pool.shutdown();
        assertThat(sum).isEqualTo(3);
        assertThat(honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c).and(BUILD_QUEUE.STATUS.eq("building")))).isEqualTo(3);
    }
}
