package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.HonuaDb;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BuildWorkerTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(12,
            ds -> HonuaDb.builder(ds).queueOptions(QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(3))).build());

    final BuildQueue queue = fx.honua().buildQueue();

    private static long w1Completed(BuildWorker[] ref) {
        return ref[0].completedCount();
    }

    private static long count(String status) {
        return fx.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq(status));
    }

    @Test
    void twoWorkersDrainTheQueueAndFailuresAreRetried() throws Exception {
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
        String c = Fixtures.newCustomer(fx.honua());
        AtomicInteger runs = new AtomicInteger();
        BuildHandler handler = (build, ctx) -> {
            ctx.progress(50, "half way");
            if (runs.incrementAndGet() % 10 == 0 && build.attempts() == 1) {
                throw new IllegalStateException("flaky test step");
            }
            return Completion.builder(Duration.ofMillis(5)).build();
        };
        QueueOptions fastRetry = QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(3)).withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1));
        BuildQueue q = new BuildQueue(fx.dsl(), fastRetry);
        BuildWorker[] w1Ref = new BuildWorker[1];
        BuildWorker[] w2Ref = new BuildWorker[1];
        try (BuildWorker w1 = BuildWorker.builder(q, fx.pool(), "w1", handler).maxConcurrent(4).pollInterval(Duration.ofMillis(200)).start();
             BuildWorker w2 = BuildWorker.builder(q, fx.pool(), "w2", handler).maxConcurrent(4).pollInterval(Duration.ofMillis(200)).start()) {
            w1Ref[0] = w1;
            w2Ref[0] = w2;
            List<NewBuild> builds = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                builds.add(NewBuild.builder(c).build());
            }
            q.enqueueAll(builds); // workers are already idle and waiting: NOTIFY wakes them
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (count("completed") < 200 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        // counters are read after close(): it waits for every handler to report
        assertThat(w1Completed(w1Ref) + w1Completed(w2Ref)).isEqualTo(200);
        assertThat(w1Ref[0].failedCount() + w2Ref[0].failedCount()).isPositive();
        assertThat(count("completed")).isEqualTo(200);
        assertThat(count("building")).isZero();
    }

    /** Worker options given once to the HonuaDb apply to every worker it makes (here: at most 3 handlers at once). */
    @Test
    void workersFromHonuaDbUseItsWorkerOptions() throws Exception {
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
        String c = Fixtures.newCustomer(fx.honua());
        WorkerOptions three = WorkerOptions.DEFAULTS.withMaxConcurrent(3).withPollInterval(Duration.ofMillis(100));
        HonuaDb tuned = HonuaDb.builder(fx.pool()).queueOptions(QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(3)))
                .workerOptions(three).build();
        assertThat(tuned.workerOptions()).isEqualTo(three);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        BuildHandler held = (build, ctx) -> {
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                release.await(30, TimeUnit.SECONDS);
            } finally {
                running.decrementAndGet();
            }
            return Completion.builder(Duration.ofMillis(1)).build();
        };
        List<NewBuild> builds = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            builds.add(NewBuild.builder(c).build());
        }
        tuned.buildQueue().enqueueAll(builds);
        BuildWorker[] ref = new BuildWorker[1];
        try (BuildWorker worker = tuned.worker("tuned", held).start()) {
            ref[0] = worker;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (peak.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(300);   // time for a fourth handler to start, were the limit not applied
            assertThat(peak.get()).isEqualTo(3);
            release.countDown();
            while (count("completed") < 10 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertThat(ref[0].completedCount()).isEqualTo(10);   // read after close(): every handler has reported
        assertThat(peak.get()).isEqualTo(3);
        assertThat(count("completed")).isEqualTo(10);
    }

    @Test
    void closeReleasesBuildsThatDoNotFinishWithinTheGracePeriod() throws Exception {
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
        String c = Fixtures.newCustomer(fx.honua());
        CountDownLatch started = new CountDownLatch(2);
        BuildHandler slow = (build, ctx) -> {
            started.countDown();
            Thread.sleep(60_000); // interrupted by close()
            return Completion.builder(Duration.ofMinutes(1)).build();
        };
        queue.enqueueAll(List.of(NewBuild.builder(c).build(), NewBuild.builder(c).build()));
        BuildWorker worker = BuildWorker.builder(queue, fx.pool(), "slow", slow).maxConcurrent(2)
                .pollInterval(Duration.ofMillis(100)).shutdownGrace(Duration.ofMillis(200)).start();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(count("building")).isEqualTo(2);
        worker.close();
        assertThat(count("building")).isZero();
        assertThat(count("queued")).isEqualTo(2);
        assertThat(fx.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.ATTEMPTS.ne(0))).as("released attempts are not counted").isZero();
    }

    /**
     * close() does not wait out the heartbeat interval: with an interval of ten minutes and a build finishing during
     * the grace period, it returns (the timeout fails the test otherwise) and the build was completed and written.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closeDoesNotWaitForTheNextHeartbeat() throws Exception {
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
        String c = Fixtures.newCustomer(fx.honua());
        CountDownLatch started = new CountDownLatch(1);
        BuildHandler handler = (build, ctx) -> {
            started.countDown();
            Thread.sleep(300);   // still running when close() begins; finishes within the grace period
            return Completion.builder(Duration.ofMillis(300)).exitCode(0).build();
        };
        queue.enqueue(NewBuild.builder(c).build());
        BuildWorker worker = BuildWorker.builder(queue, fx.pool(), "prompt", handler).heartbeatInterval(Duration.ofMinutes(10))
                .pollInterval(Duration.ofMillis(100)).shutdownGrace(Duration.ofSeconds(30)).start();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        worker.close();
        assertThat(worker.completedCount()).isEqualTo(1);
        assertThat(count("completed")).isEqualTo(1);
        assertThat(worker.runningCount()).isZero();
    }

    @Test
    void aCancelledBuildInterruptsItsHandler() throws Exception {
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
        String c = Fixtures.newCustomer(fx.honua());
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        BuildHandler handler = (build, ctx) -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
            return Completion.builder(Duration.ZERO).build();
        };
        Build b = queue.enqueue(NewBuild.builder(c).build());
        try (BuildWorker worker = BuildWorker.builder(queue, fx.pool(), "w", handler).heartbeatInterval(Duration.ofMillis(100))
                .pollInterval(Duration.ofMillis(100)).start()) {
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            queue.cancel(b.id(), "stop it");
            assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(queue.find(b.id()).orElseThrow().status()).isEqualTo(BuildStatus.CANCELLED);
    }
}
