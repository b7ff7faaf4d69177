package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE_RUNNABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 13 items 1, 2 and 6: every attempt keeps its outcome, failed/timed-out/cancelled builds can be retried through
 * the API the way they end up failed in real life, and a seed-style worker calling only the seed's functions works.
 * Workers run as honua_worker and tenants as honua_app (the grants and policies of build_attempts are exercised).
 */
class BuildOutcomesTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withWorkerPool(4).withAppPool(2);

    static BuildQueue queue;
    static DSLContext owner;
    static final String A = "oc-a";
    static final String B = "oc-b";

    @BeforeAll
    static void setUp() {
        queue = fx.worker().buildQueue();
        owner = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        fx.honua().customers().create(NewCustomer.builder(A, "A").build());
        fx.honua().customers().create(NewCustomer.builder(B, "B").build());
    }

    @BeforeEach
    void emptyQueue() {
        owner.execute("DELETE FROM build_queue");
    }

    /** Lets a failed attempt's backoff elapse (moved in the database, as time passing would). */
    private static void elapseBackoff(UUID id) {
        owner.update(BUILD_QUEUE).set(BUILD_QUEUE.NOT_BEFORE, DSL.currentInstant()).where(BUILD_QUEUE.ID.eq(id)).execute();
    }

    private static Failure failure(String error, int exit) {
        return Failure.builder(error).exitCode(exit).duration(Duration.ofSeconds(7)).cpuSeconds(new BigDecimal("3.250"))
                .peakMemoryBytes(1_000_000).logs("out " + error, "err " + error).build();
    }

    @Test
    void aBuildFailedUntilItsAttemptsAreUsedIsRetriedClaimedAndCompletedKeepingItsHistory() {
        Build b = fx.app().forTenant(A).buildQueue().enqueue(NewBuild.builder(A).maxAttempts(2).build());

        assertThat(queue.claim("w1", 1)).singleElement().extracting(Build::attempts).isEqualTo(1);
        FailureOutcome first = queue.fail(b.id(), "w1", failure("tests failed", 1));
        assertThat(first.willRetry()).isTrue();
        elapseBackoff(b.id());
        assertThat(queue.claim("w2", 1)).singleElement().extracting(Build::attempts).isEqualTo(2);
        FailureOutcome second = queue.fail(b.id(), "w2", Failure.builder("oom").exitCode(137)
                .artifact(NewArtifact.of(ArtifactType.TEST_REPORT, "junit.xml", "s3://r/junit.xml", Fixtures.sha256("junit"), 42))
                .build());
        assertThat(second.willRetry()).isFalse();
        assertThat(second.build().status()).isEqualTo(BuildStatus.FAILED);
        assertThat(queue.claim("w1", 1)).as("failed for good").isEmpty();

        // retry: the seed contract refused this (attempts = max_attempts); now it gets one more attempt
        Build retried = queue.retry(b.id(), RetryOptions.defaults()).orElseThrow();
        assertThat(retried.status()).isEqualTo(BuildStatus.QUEUED);
        assertThat(retried.maxAttempts()).isEqualTo(3);
        assertThat(retried.workerId()).isEmpty();
        // the V14 scheduler's trigger made its customer ready again
        assertThat(owner.select(BUILD_QUEUE_RUNNABLE.READY).from(BUILD_QUEUE_RUNNABLE)
                .where(BUILD_QUEUE_RUNNABLE.CUSTOMER_ID.eq(A)).fetchOne(BUILD_QUEUE_RUNNABLE.READY)).isTrue();
        assertThat(queue.claim("w3", 1)).singleElement().extracting(Build::attempts).isEqualTo(3);
        queue.complete(b.id(), "w3", Completion.builder(Duration.ofSeconds(9)).exitCode(0).logs("ok", "").build());
        assertThat(queue.find(b.id()).orElseThrow().status()).isEqualTo(BuildStatus.COMPLETED);

        List<BuildAttempt> attempts = queue.attempts(b.id(), 0, 100);
        assertThat(attempts).extracting(BuildAttempt::attempt).containsExactly(1, 2, 3);
        assertThat(attempts).extracting(BuildAttempt::outcome)
                .containsExactly(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.COMPLETED);
        assertThat(attempts).extracting(a -> a.workerId().orElseThrow()).containsExactly("w1", "w2", "w3");
        BuildAttempt a1 = attempts.get(0);
        assertThat(a1.exitCode()).contains(1);
        assertThat(a1.duration()).contains(Duration.ofSeconds(7));
        assertThat(a1.cpuSeconds()).contains(new BigDecimal("3.250"));
        assertThat(a1.peakMemoryBytes()).contains(1_000_000L);
        assertThat(a1.error()).contains("tests failed");
        assertThat(a1.stdoutLog()).contains("out tests failed");
        assertThat(a1.stderrLog()).contains("err tests failed");
        assertThat(a1.endedAt()).isAfterOrEqualTo(a1.startedAt());
        assertThat(attempts.get(1).exitCode()).contains(137);
        assertThat(attempts.get(1).duration()).as("measured by the database when not reported").isPresent();
        assertThat(attempts.get(2).exitCode()).contains(0);
        assertThat(attempts.get(2).duration()).contains(Duration.ofSeconds(9));
        assertThat(attempts.get(2).error()).isEmpty();
        // paging
        assertThat(queue.attempts(b.id(), 1, 1)).extracting(BuildAttempt::attempt).containsExactly(2);
        assertThat(queue.attempts(b.id(), 3, 10)).isEmpty();

        assertThat(queue.artifacts(b.id(), 0, 10)).singleElement().satisfies(x -> {
            assertThat(x.type()).isEqualTo(ArtifactType.TEST_REPORT);
            assertThat(x.name()).isEqualTo("junit.xml");
            assertThat(x.sizeBytes()).isEqualTo(42);
        });
        assertThat(queue.result(b.id())).hasValueSatisfying(r -> {
            assertThat(r.success()).isTrue();
            assertThat(r.exitCode()).contains(0);
            assertThat(r.duration()).isEqualTo(Duration.ofSeconds(9));
        });
        assertThat(queue.events(b.id())).extracting(BuildEvent::type)
                .containsExactly("queued", "claimed", "retried", "claimed", "failed", "retried", "claimed", "completed");

        // the tenant sees its build's history, the other tenant nothing
        assertThat(fx.app().forTenant(A).buildQueue().attempts(b.id(), 0, 10)).hasSize(3);
        assertThat(fx.app().forTenant(B).buildQueue().attempts(b.id(), 0, 10)).isEmpty();
        assertThat(fx.app().forTenant(B).buildQueue().artifacts(b.id(), 0, 10)).isEmpty();
        assertThat(fx.app().forTenant(B).buildQueue().result(b.id())).isEmpty();
    }

    @Test
    void theSeedShortcutFailKeepsTheErrorAsTheAttemptsOutcome() {
        Build b = queue.enqueue(NewBuild.builder(A).maxAttempts(1).build());
        queue.claim("w", 1);
        queue.fail(b.id(), "w", "plain error");
        assertThat(queue.attempts(b.id(), 0, 10)).singleElement().satisfies(a -> {
            assertThat(a.outcome()).isEqualTo(AttemptOutcome.FAILED);
            assertThat(a.error()).contains("plain error");
            assertThat(a.exitCode()).isEmpty();
        });
        assertThat(queue.retry(b.id())).as("seed-signature retry of a build failed through the API").isTrue();
        assertThat(queue.claim("w", 1)).singleElement().extracting(Build::attempts).isEqualTo(2);
    }

    @Test
    void batchFailureRecordsWriteOneAttemptPerBuild() {
        Build x = queue.enqueue(NewBuild.builder(A).maxAttempts(1).build());
        Build y = queue.enqueue(NewBuild.builder(B).maxAttempts(3).build());
        assertThat(queue.claim("w", 2)).hasSize(2);
        Map<UUID, Failure> failures = new LinkedHashMap<>();
        failures.put(x.id(), failure("x broke", 2));
        failures.put(y.id(), failure("y broke", 3));
        failures.put(UUID.randomUUID(), Failure.of("unknown"));
        BatchResult r = queue.failAllWithResults("w", failures);
        assertThat(r.notHeld()).hasSize(1);
        assertThat(r.done()).extracting(Build::status).containsExactlyInAnyOrder(BuildStatus.FAILED, BuildStatus.QUEUED);
        assertThat(queue.attempts(x.id(), 0, 10)).singleElement().extracting(a -> a.exitCode().orElseThrow()).isEqualTo(2);
        assertThat(queue.attempts(y.id(), 0, 10)).singleElement().extracting(a -> a.error().orElseThrow()).isEqualTo("y broke");
    }

    @Test
    void leaseExpiryTimeoutReleaseAndCancelEachLeaveAnAttempt() {
        Build b = queue.enqueue(NewBuild.builder(A).maxAttempts(2).build());
        queue.claim("w1", 1);
        queue.release(b.id(), "w1");
        queue.claim("w1", 1);
        // lease expired: requeued, attempt recorded as lease_expired
        owner.update(BUILD_QUEUE).set(BUILD_QUEUE.LEASE_EXPIRES_AT, Instant.now().minusSeconds(5)).where(BUILD_QUEUE.ID.eq(b.id())).execute();
        assertThat(queue.recoverExpiredLeases()).isEqualTo(1);
        queue.claim("w2", 1);
        // ran past its timeout with no attempts left: ends as TIMEOUT
        owner.update(BUILD_QUEUE).set(BUILD_QUEUE.STARTED_AT, Instant.now().minus(Duration.ofHours(2))).where(BUILD_QUEUE.ID.eq(b.id())).execute();
        assertThat(queue.recoverExpiredLeases()).isEqualTo(1);
        assertThat(queue.find(b.id()).orElseThrow().status()).isEqualTo(BuildStatus.TIMEOUT);
        // retry a timed-out build with options: two more attempts, a new priority
        Build r = queue.retry(b.id(), RetryOptions.builder().extraAttempts(2).priority(9).build()).orElseThrow();
        assertThat(r.maxAttempts()).isEqualTo(4);
        assertThat(r.priority()).isEqualTo(9);
        queue.claim("w3", 1);
        queue.cancel(b.id(), "not needed");
        assertThat(queue.attempts(b.id(), 0, 10)).extracting(BuildAttempt::outcome).containsExactly(AttemptOutcome.RELEASED,
                AttemptOutcome.LEASE_EXPIRED, AttemptOutcome.TIMEOUT, AttemptOutcome.CANCELLED);
        assertThat(queue.attempts(b.id(), 0, 10)).extracting(BuildAttempt::attempt).containsExactly(1, 1, 2, 3);
        assertThat(queue.attempts(b.id(), 0, 10).get(2).error().orElseThrow()).contains("exceeded its timeout");

        // a cancelled build can be retried too, with a delay: not claimable before it
        Build delayed = queue.retry(b.id(), RetryOptions.builder().delay(Duration.ofMinutes(5)).build()).orElseThrow();
        assertThat(delayed.status()).isEqualTo(BuildStatus.QUEUED);
        assertThat(delayed.notBefore()).isAfter(Instant.now().plusSeconds(200));
        assertThat(queue.claim("w4", 1)).isEmpty();
        assertThat(queue.events(b.id())).extracting(BuildEvent::type).endsWith("cancelled", "retried");
    }

    @Test
    void aBatchCompletionWritesEveryAttemptWithItsResultAndATenantCancelIsRecorded() {
        List<Build> builds = queue.enqueueAll(java.util.stream.IntStream.range(0, 50)
                .mapToObj(i -> NewBuild.builder(i % 2 == 0 ? A : B).build()).toList());
        assertThat(queue.claim("w", 50)).hasSize(50);
        Map<UUID, Completion> completions = new LinkedHashMap<>();
        for (int i = 0; i < builds.size(); i++) {
            completions.put(builds.get(i).id(), Completion.builder(Duration.ofMillis(100 + i)).exitCode(i).build());
        }
        assertThat(queue.completeAll("w", completions).done()).hasSize(50);
        for (int i = 0; i < builds.size(); i++) {
            int exit = i;
            assertThat(queue.attempts(builds.get(i).id(), 0, 10)).singleElement().satisfies(a -> {
                assertThat(a.outcome()).isEqualTo(AttemptOutcome.COMPLETED);
                assertThat(a.exitCode()).contains(exit);
                assertThat(a.duration()).contains(Duration.ofMillis(100 + exit));
            });
        }

        // the application role cancels its tenant's running build: the attempt is recorded under its rights
        BuildQueue tenantQueue = fx.app().forTenant(A).buildQueue();
        Build running = tenantQueue.enqueue(NewBuild.builder(A).build());
        queue.claim("w", 1);
        tenantQueue.cancel(running.id(), "user stopped it");
        assertThat(tenantQueue.attempts(running.id(), 0, 10)).singleElement().satisfies(a -> {
            assertThat(a.outcome()).isEqualTo(AttemptOutcome.CANCELLED);
            assertThat(a.error()).contains("user stopped it");
        });
        assertThat(tenantQueue.retry(running.id(), RetryOptions.defaults())).isPresent();
        assertThat(queue.claim("w", 1)).singleElement().extracting(Build::id).isEqualTo(running.id());
    }

    @Test
    void aDelayedRetryBecomesClaimableThroughTheSchedulerWhenItsDelayPasses() throws InterruptedException {
        Build b = queue.enqueue(NewBuild.builder(A).maxAttempts(1).build());
        queue.claim("w", 1);
        queue.fail(b.id(), "w", "flaky");
        Build r = queue.retry(b.id(), RetryOptions.builder().delay(Duration.ofMillis(1500)).build()).orElseThrow();
        assertThat(queue.claim("w", 1)).as("delay not passed").isEmpty();
        Thread.sleep(r.notBefore().toEpochMilli() - System.currentTimeMillis() + 300);
        // nothing else touched the build: the runnable row's wake-up time makes the customer claimable
        assertThat(queue.claim("w", 1)).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo(b.id());
            assertThat(c.attempts()).isEqualTo(2);
        });
    }

    @Test
    void retryRefusesWhatCannotBeRetriedAndBadOptions() {
        Build b = queue.enqueue(NewBuild.builder(A).build());
        assertThat(queue.retry(b.id(), RetryOptions.defaults())).as("queued").isEmpty();
        assertThat(queue.retry(b.id())).isFalse();
        assertThat(queue.retry(UUID.randomUUID(), RetryOptions.defaults())).isEmpty();
        assertThatThrownBy(() -> RetryOptions.builder().extraAttempts(0).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> RetryOptions.builder().priority(11).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> RetryOptions.builder().delay(Duration.ofSeconds(-1)).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Failure.of("")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.attempts(b.id(), -1, 10)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.attempts(b.id(), 0, 0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.fail(b.id(), "w", Failure.of("x"))).isInstanceOf(LeaseLostException.class);
        assertThat(queue.attempts(b.id(), 0, 10)).isEmpty();
    }

    /**
     * A worker written against seed 000, using only the seed's functions from plain SQL: it claims, reports progress
     * (every report renews the 60 s lease), runs long (here: 30 minutes, moved in the database), survives the
     * recovery job, and completes. A seed worker that never reports progress loses its build after 60 s: that is the
     * documented difference.
     */
    @Test
    void aSeedStyleWorkerUsingOnlySeedFunctionsSurvivesALongBuild() {
        DSLContext w = DSL.using(fx.workerPool(), SQLDialect.POSTGRES);
        Build b = queue.enqueue(NewBuild.builder(A).build());
        Record claimed = w.fetchOne("SELECT * FROM get_next_build_for_worker(?)", "seed-w");
        assertThat(claimed.get("id", UUID.class)).isEqualTo(b.id());
        // the build has been running for 30 minutes, reporting progress all along (the last report just now)
        owner.update(BUILD_QUEUE).set(BUILD_QUEUE.STARTED_AT, Instant.now().minus(Duration.ofMinutes(30))).where(BUILD_QUEUE.ID.eq(b.id())).execute();
        assertThat(w.fetchValue("SELECT update_build_progress(?, ?, 50, 'linking')", b.id(), "seed-w")).isEqualTo(true);
        assertThat(w.fetchValue("SELECT handle_build_timeouts()")).isEqualTo(0);
        assertThat(w.fetch("SELECT * FROM complete_build(?, ?)", b.id(), "seed-w")).hasSize(1);
        assertThat(queue.attempts(b.id(), 0, 10)).singleElement().extracting(BuildAttempt::outcome).isEqualTo(AttemptOutcome.COMPLETED);

        // a seed worker that stays silent longer than the lease: requeued, its late completion changes nothing
        Build silent = queue.enqueue(NewBuild.builder(A).build());
        w.fetchOne("SELECT * FROM get_next_build_for_worker(?)", "silent-w");
        owner.update(BUILD_QUEUE).set(BUILD_QUEUE.LEASE_EXPIRES_AT, Instant.now().minusSeconds(1)).where(BUILD_QUEUE.ID.eq(silent.id())).execute();
        assertThat(w.fetchValue("SELECT handle_build_timeouts()")).isEqualTo(1);
        assertThat(w.fetch("SELECT * FROM complete_build(?, ?)", silent.id(), "silent-w")).isEmpty();
        assertThat(queue.find(silent.id()).orElseThrow().status()).isEqualTo(BuildStatus.QUEUED);

        // retry_failed_build from plain SQL brings back a build its worker failed for good
        Build failed = queue.enqueue(NewBuild.builder(A).maxAttempts(1).build());
        owner.update(BUILD_QUEUE).set(BUILD_QUEUE.NOT_BEFORE, Instant.now().plus(Duration.ofHours(1))).where(BUILD_QUEUE.ID.eq(silent.id())).execute();
        w.fetchOne("SELECT * FROM get_next_build_for_worker(?)", "seed-w");
        assertThat(w.fetch("SELECT * FROM fail_build(?, ?, 'boom')", failed.id(), "seed-w")).hasSize(1);
        assertThat(queue.find(failed.id()).orElseThrow().status()).isEqualTo(BuildStatus.FAILED);
        assertThat(w.fetchValue("SELECT retry_failed_build(?)", failed.id())).isEqualTo(true);
        assertThat(w.fetchValue("SELECT retry_failed_build(?)", failed.id())).as("already queued").isEqualTo(false);
        assertThat(w.fetchOne("SELECT * FROM get_next_build_for_worker(?)", "seed-w").get("id", UUID.class)).isEqualTo(failed.id());
    }
}
