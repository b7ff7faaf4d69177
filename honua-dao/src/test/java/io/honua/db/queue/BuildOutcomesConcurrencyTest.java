package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.HonuaDb;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every ended attempt leaves exactly one {@code build_attempts} row, also when many workers complete, fail (with and
 * without failure records), release and abandon builds concurrently while recovery requeues expired leases and
 * failed builds are retried: per build, the attempt numbers of the rows that are not releases are exactly
 * 1..attempts, releases are counted exactly, and the last row matches the final status.
 */
class BuildOutcomesConcurrencyTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withWorkerPool(10);

    static HonuaDb honua;
    static BuildQueue queue;

    @BeforeAll
    static void setUp() {
        honua = HonuaDb.builder(fx.workerPool()).queueOptions(QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(1))
                .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1))).build();
        queue = honua.buildQueue();
        fx.honua().customers().create(NewCustomer.builder("occ", "C").build());
    }

    @Test
    void manyWorkersEndingAttemptsConcurrentlyLeaveExactlyOneRowPerAttempt() throws Exception {
        List<Build> builds = queue.enqueueAll(IntStream.range(0, 120).mapToObj(i -> NewBuild.builder("occ").maxAttempts(3).build()).toList());
        Map<UUID, AtomicInteger> releases = new ConcurrentHashMap<>();
        Set<UUID> retried = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            String worker = "w" + t;
            tasks.add(pool.submit(() -> {
                while (!stop.get()) {
                    for (Build b : queue.claim(worker, 3)) {
                        int dice = ThreadLocalRandom.current().nextInt(100);
                        try {
                            if (dice < 40) {
                                queue.complete(b.id(), worker, Completion.builder(Duration.ofMillis(dice)).exitCode(0).build());
                            } else if (dice < 70) {
                                queue.fail(b.id(), worker, Failure.builder("record " + dice).exitCode(dice).build());
                            } else if (dice < 80) {
                                queue.fail(b.id(), worker, "plain " + dice);
                            } else if (dice < 90) {
                                queue.release(b.id(), worker);
                                releases.computeIfAbsent(b.id(), k -> new AtomicInteger()).incrementAndGet();
                            } // else: abandoned, its lease expires
                        } catch (LeaseLostException lost) {
                            // took longer than the 1 s lease on a loaded machine: recovered by handle_build_timeouts
                        }
                    }
                    Thread.sleep(5);
                }
                return null;
            }));
        }
        tasks.add(pool.submit(() -> {
            while (!stop.get()) {
                queue.recoverExpiredLeases();
                Thread.sleep(100);
            }
            return null;
        }));
        AtomicBoolean stopRetries = new AtomicBoolean();
        Future<?> retries = pool.submit(() -> {
            while (!stopRetries.get()) {
                for (Build b : builds) {
                    Build now = queue.find(b.id()).orElseThrow();
                    if ((now.status() == BuildStatus.FAILED || now.status() == BuildStatus.TIMEOUT) && retried.add(b.id())) {
                        queue.retry(b.id(), RetryOptions.defaults());
                    }
                }
                Thread.sleep(50);
            }
            return null;
        });
        tasks.add(retries);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.in("queued", "building")) > 0) {
            Thread.sleep(200);
        }
        // the retry thread may requeue a failed build after the check above: stop it first, then let the workers
        // drain what it requeued before they stop
        stopRetries.set(true);
        retries.get(30, TimeUnit.SECONDS);
        while (System.nanoTime() < deadline && honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.in("queued", "building")) > 0) {
            Thread.sleep(200);
        }
        stop.set(true);
        for (Future<?> f : tasks) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.in("queued", "building"))).as("all builds ended").isZero();

        int totalRows = 0;
        for (Build b : builds) {
            Build end = queue.find(b.id()).orElseThrow();
            List<BuildAttempt> attempts = queue.attempts(b.id(), 0, 1000);
            totalRows += attempts.size();
            List<Integer> counted = attempts.stream().filter(a -> a.outcome() != AttemptOutcome.RELEASED).map(BuildAttempt::attempt).toList();
            assertThat(counted).as("attempt numbers of %s", b.id())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, end.attempts()).boxed().toList());
            long released = attempts.stream().filter(a -> a.outcome() == AttemptOutcome.RELEASED).count();
            assertThat(released).as("releases of %s", b.id())
                    .isEqualTo(releases.getOrDefault(b.id(), new AtomicInteger()).get());
            AttemptOutcome last = attempts.get(attempts.size() - 1).outcome();
            switch (end.status()) {
                case COMPLETED -> assertThat(last).isEqualTo(AttemptOutcome.COMPLETED);
                case FAILED -> assertThat(last).isEqualTo(AttemptOutcome.FAILED);
                case TIMEOUT -> assertThat(last).isIn(AttemptOutcome.TIMEOUT, AttemptOutcome.LEASE_EXPIRED);
                default -> throw new AssertionError("unexpected end status " + end.status());
            }
        }
        assertThat(totalRows).isGreaterThan(builds.size());
    }
}
