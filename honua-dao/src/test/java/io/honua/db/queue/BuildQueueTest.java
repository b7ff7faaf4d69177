package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_ARTIFACTS;
import static io.honua.db.schema.generated.Tables.BUILD_DEPENDENCIES;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.HonuaDb;
import io.honua.db.core.ConflictException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.QueueWakeUp;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BuildQueueTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(8,
            ds -> HonuaDb.builder(ds).queueOptions(QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(30))).build());

    final BuildQueue queue = fx.honua().buildQueue();

    @BeforeEach
    void emptyQueue() {
        // every test starts from an empty queue so that claims only see its own builds
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
    }

    private String customer() {
        return Fixtures.newCustomer(fx.honua());
    }

    /** Enqueue and claim read their rows straight from the driver; what they return is exactly the stored row. */
    @Test
    void enqueueAndClaimReturnTheStoredRow() {
        String c = customer();
        Build queued = queue.enqueue(NewBuild.builder(c).priority(3).manifestHash(Fixtures.sha256("row")).idempotencyKey("row-1")
                .notBefore(Instant.now().minusSeconds(5)).timeout(Duration.ofMinutes(7)).maxAttempts(5)
                .buildConfig("{\"arch\": \"arm64\", \"n\": 1}").traceId("t-row").correlationId("c-row")
                .traceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").traceState("vendor=x").build());
        assertThat(queue.find(queued.id())).contains(queued);
        assertThat(queued.idempotencyKey()).contains("row-1");
        assertThat(queued.timeout()).isEqualTo(Duration.ofMinutes(7));
        assertThat(queued.traceState()).contains("vendor=x");
        assertThat(queued.startedAt()).isEmpty();
        // the same key again: the stored build, read through the typed path, equals the first answer
        assertThat(queue.enqueue(NewBuild.builder(c).idempotencyKey("row-1").build())).isEqualTo(queued);

        List<Build> claimed = queue.claim("w-row", 1);
        assertThat(claimed).singleElement().satisfies(b -> {
            assertThat(b.status()).isEqualTo(BuildStatus.BUILDING);
            assertThat(b.startedAt()).isPresent();
            assertThat(b.leaseExpiresAt()).isPresent();
        });
        assertThat(queue.find(queued.id())).contains(claimed.getFirst());
    }

    @Test
    void enqueueClaimProgressCompleteRoundTrip() {
        String c = customer();
        Build queued = queue.enqueue(NewBuild.builder(c).priority(7).manifestHash(Fixtures.sha256("m")).traceId("t-1").build());
        assertThat(queued.status()).isEqualTo(BuildStatus.QUEUED);
        assertThat(queued.priority()).isEqualTo(7);
        assertThat(queued.attempts()).isZero();

        List<Build> claimed = queue.claim("w1", 5);
        assertThat(claimed).singleElement().satisfies(b -> {
            assertThat(b.id()).isEqualTo(queued.id());
            assertThat(b.status()).isEqualTo(BuildStatus.BUILDING);
            assertThat(b.workerId()).contains("w1");
            assertThat(b.attempts()).isEqualTo(1);
            assertThat(b.leaseExpiresAt()).isPresent();
        });
        assertThat(queue.claim("w2", 5)).isEmpty();

        Instant lease = queue.heartbeat(queued.id(), "w1");
        assertThat(lease).isAfter(Instant.now().plusSeconds(20));
        queue.updateProgress(queued.id(), "w1", 40, "compiling");
        assertThat(queue.find(queued.id()).orElseThrow()).satisfies(b -> {
            assertThat(b.progressPercent()).isEqualTo(40);
            assertThat(b.currentStep()).contains("compiling");
        });

        Build done = queue.complete(queued.id(), "w1", Completion.builder(Duration.ofSeconds(12)).exitCode(0)
                .image("registry/app:1", "sha256:abc", 1234, 5)
                .artifact(NewArtifact.of(ArtifactType.SBOM, "sbom.json", "s3://b/sbom.json", Fixtures.sha256("sbom"), 99))
                .artifact(NewArtifact.of(ArtifactType.CONTAINER_IMAGE, "image", "registry/app:1", Fixtures.sha256("img"), 1234))
                .build());
        assertThat(done.status()).isEqualTo(BuildStatus.COMPLETED);
        assertThat(done.progressPercent()).isEqualTo(100);
        assertThat(fx.dsl().fetchOne(BUILD_RESULTS, BUILD_RESULTS.BUILD_ID.eq(queued.id())).getDurationMs()).isEqualTo(12_000L);
        assertThat(fx.dsl().fetchCount(BUILD_ARTIFACTS, BUILD_ARTIFACTS.BUILD_ID.eq(queued.id()))).isEqualTo(2);

        assertThat(queue.events(queued.id()))
                .extracting(BuildEvent::seq, BuildEvent::type)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "queued"), org.assertj.core.groups.Tuple.tuple(2, "claimed"),
                        org.assertj.core.groups.Tuple.tuple(3, "completed"));
        assertThat(queue.events(queued.id()).getFirst().traceId()).contains("t-1");
    }

    @Test
    void claimOrdersByPriorityThenAge() {
        String c = customer();
        Build low = queue.enqueue(NewBuild.builder(c).priority(2).build());
        Build high = queue.enqueue(NewBuild.builder(c).priority(9).build());
        Build mid1 = queue.enqueue(NewBuild.builder(c).priority(5).build());
        Build mid2 = queue.enqueue(NewBuild.builder(c).priority(5).build());
        assertThat(queue.claim("w", 4)).extracting(Build::id).containsExactly(high.id(), mid1.id(), mid2.id(), low.id());
    }

    @Test
    void agingLetsALowPriorityBuildOvertakeFreshHighPriorityOnes() throws Exception {
        BuildQueue aging = new BuildQueue(fx.dsl(), QueueOptions.DEFAULTS.withAgingStep(Duration.ofMillis(100)));
        String c = customer();
        Build old = aging.enqueue(NewBuild.builder(c).priority(1).build());
        Thread.sleep(1_200); // more than 9 aging steps of 100 ms
        List<Build> fresh = aging.enqueueAll(List.of(NewBuild.builder(c).priority(10).build(), NewBuild.builder(c).priority(10).build()));
        assertThat(aging.claim("w", 1)).extracting(Build::id).containsExactly(old.id());
        assertThat(aging.claim("w", 2)).extracting(Build::id).containsExactlyElementsOf(fresh.stream().map(Build::id).toList());
    }

    @Test
    void notBeforeDefersAClaim() {
        String c = customer();
        Build later = queue.enqueue(NewBuild.builder(c).notBefore(Instant.now().plusSeconds(3600)).build());
        Build now = queue.enqueue(NewBuild.builder(c).build());
        assertThat(queue.claim("w", 10)).extracting(Build::id).containsExactly(now.id());
        assertThat(queue.find(later.id()).orElseThrow().status()).isEqualTo(BuildStatus.QUEUED);
    }

    @Test
    void fairShareBetweenABigAndASmallCustomer() {
        String big = customer();
        String small = customer();
        for (int batch = 0; batch < 10; batch++) {
            List<NewBuild> builds = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                builds.add(NewBuild.builder(big).priority(10).build());
            }
            queue.enqueueAll(builds);
        }
        List<NewBuild> smalls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            smalls.add(NewBuild.builder(small).priority(1).build());
        }
        queue.enqueueAll(smalls);

        List<Build> round1 = queue.claim("w", 10);
        List<Build> round2 = queue.claim("w", 10);
        assertThat(round1).filteredOn(b -> b.customerId().equals(small)).hasSize(5);
        assertThat(round2).filteredOn(b -> b.customerId().equals(small)).hasSize(5);
        assertThat(fx.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(small).and(BUILD_QUEUE.STATUS.eq("queued")))).isZero();
    }

    @Test
    void licenseCapLimitsRunningBuildsPerCustomer() {
        String capped = customer();
        Fixtures.license(fx.dsl(), capped, 2);
        String other = customer();
        for (int i = 0; i < 5; i++) {
            queue.enqueue(NewBuild.builder(capped).priority(10).build());
        }
        queue.enqueue(NewBuild.builder(other).priority(1).build());

        List<Build> first = queue.claim("w", 10);
        assertThat(first).filteredOn(b -> b.customerId().equals(capped)).hasSize(2);
        assertThat(first).filteredOn(b -> b.customerId().equals(other)).hasSize(1);
        assertThat(queue.claim("w", 10)).isEmpty();

        Build running = first.stream().filter(b -> b.customerId().equals(capped)).findFirst().orElseThrow();
        queue.complete(running.id(), "w", Completion.builder(Duration.ofSeconds(1)).build());
        assertThat(queue.claim("w", 10)).singleElement().extracting(Build::customerId).isEqualTo(capped);
        assertThat(queue.claim("w", 10)).isEmpty();
    }

    @Test
    void dependenciesHoldABuildUntilTheyComplete() {
        String c = customer();
        Build a = queue.enqueue(NewBuild.builder(c).priority(1).build());
        Build b = queue.enqueue(NewBuild.builder(c).priority(10).dependsOn(a.id()).build());
        assertThat(b.pendingDependencies()).isEqualTo(1);
        assertThat(queue.dependenciesOf(b.id())).containsExactly(a.id());

        assertThat(queue.claim("w", 10)).extracting(Build::id).containsExactly(a.id());
        queue.complete(a.id(), "w", Completion.builder(Duration.ZERO).build());
        assertThat(queue.claim("w", 10)).extracting(Build::id).containsExactly(b.id());
    }

    @Test
    void aDependencyOnACompletedBuildDoesNotBlock() {
        String c = customer();
        Build a = queue.enqueue(NewBuild.builder(c).build());
        queue.claim("w", 1);
        queue.complete(a.id(), "w", Completion.builder(Duration.ZERO).build());
        Build b = queue.enqueue(NewBuild.builder(c).dependsOn(a.id()).build());
        assertThat(b.pendingDependencies()).isZero();
        assertThat(queue.claim("w", 1)).extracting(Build::id).containsExactly(b.id());
    }

    @Test
    void cyclesAreRefusedAndNothingIsAdded() {
        String c = customer();
        Build a = queue.enqueue(NewBuild.builder(c).build());
        Build b = queue.enqueue(NewBuild.builder(c).dependsOn(a.id()).build());
        Build d = queue.enqueue(NewBuild.builder(c).dependsOn(b.id()).build());
        int edges = fx.dsl().fetchCount(BUILD_DEPENDENCIES);

        assertThatThrownBy(() -> queue.addDependency(a.id(), d.id())).isInstanceOf(DependencyCycleException.class)
                .hasMessageContaining("cycle");
        assertThatThrownBy(() -> queue.addDependency(a.id(), a.id())).isInstanceOf(DependencyCycleException.class);
        assertThat(fx.dsl().fetchCount(BUILD_DEPENDENCIES)).isEqualTo(edges);
        assertThat(queue.find(a.id()).orElseThrow().pendingDependencies()).isZero();
    }

    @Test
    void failRetriesWithExponentialBackoffThenFailsForGood() {
        BuildQueue q = new BuildQueue(fx.dsl(), QueueOptions.DEFAULTS.withBackoff(Duration.ofSeconds(10), Duration.ofMinutes(1)));
        String c = customer();
        Build b = q.enqueue(NewBuild.builder(c).maxAttempts(2).build());
        q.claim("w", 1);
        FailureOutcome first = q.fail(b.id(), "w", "compiler crashed");
        assertThat(first.willRetry()).isTrue();
        assertThat(first.build().status()).isEqualTo(BuildStatus.QUEUED);
        assertThat(first.build().notBefore()).isAfter(Instant.now().plusSeconds(5));
        assertThat(first.build().lastError()).contains("compiler crashed");
        assertThat(q.claim("w", 1)).as("backoff not yet elapsed").isEmpty();

        // let the backoff elapse (moved in the database, as time passing would)
        fx.dsl().update(BUILD_QUEUE).set(BUILD_QUEUE.NOT_BEFORE, DSL.currentInstant()).where(BUILD_QUEUE.ID.eq(b.id())).execute();
        assertThat(q.claim("w", 1)).singleElement().extracting(Build::attempts).isEqualTo(2);
        FailureOutcome second = q.fail(b.id(), "w", "again");
        assertThat(second.willRetry()).isFalse();
        assertThat(second.build().status()).isEqualTo(BuildStatus.FAILED);
        assertThat(q.retry(b.id())).as("failed for good, then retried with one more attempt (issue 13)").isTrue();
        assertThat(q.events(b.id())).extracting(BuildEvent::type)
                .containsExactly("queued", "claimed", "retried", "claimed", "failed", "retried");
    }

    @Test
    void retryRequeuesAFailedBuildWithAttemptsLeft() {
        String c = customer();
        Build b = queue.enqueue(NewBuild.builder(c).maxAttempts(3).build());
        queue.claim("w", 1);
        fx.dsl().update(BUILD_QUEUE).set(BUILD_QUEUE.STATUS, "failed").where(BUILD_QUEUE.ID.eq(b.id())).execute();
        assertThat(queue.retry(b.id())).isTrue();
        assertThat(queue.find(b.id()).orElseThrow().status()).isEqualTo(BuildStatus.QUEUED);
    }

    @Test
    void cancellingARunningBuildStopsItsWorkerAtTheNextHeartbeat() {
        String c = customer();
        Build b = queue.enqueue(NewBuild.builder(c).build());
        queue.claim("w", 1);
        assertThat(queue.cancel(b.id(), "user asked").status()).isEqualTo(BuildStatus.CANCELLED);
        assertThatThrownBy(() -> queue.heartbeat(b.id(), "w")).isInstanceOf(BuildCancelledException.class);
        assertThatThrownBy(() -> queue.complete(b.id(), "w", Completion.builder(Duration.ZERO).build()))
                .isInstanceOf(BuildCancelledException.class);
        assertThatThrownBy(() -> queue.cancel(b.id(), "twice")).isInstanceOf(ConflictException.class);
        assertThat(fx.dsl().fetchCount(BUILD_RESULTS, BUILD_RESULTS.BUILD_ID.eq(b.id()))).isZero();
    }

    @Test
    void cancellingAQueuedBuildMeansItIsNeverClaimed() {
        String c = customer();
        Build b = queue.enqueue(NewBuild.builder(c).build());
        queue.cancel(b.id(), "not needed");
        assertThat(queue.claim("w", 10)).isEmpty();
    }

    @Test
    void onlyTheLeaseHolderMayFinish() {
        String c = customer();
        Build b = queue.enqueue(NewBuild.builder(c).build());
        queue.claim("owner", 1);
        assertThatThrownBy(() -> queue.complete(b.id(), "intruder", Completion.builder(Duration.ZERO).build()))
                .isInstanceOf(LeaseLostException.class).hasMessageContaining("held by owner");
        assertThatThrownBy(() -> queue.fail(b.id(), "intruder", "x")).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> queue.updateProgress(b.id(), "intruder", 5, "x")).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> queue.heartbeat(UUID.randomUUID(), "owner")).isInstanceOf(UnknownBuildException.class);
        Build still = queue.find(b.id()).orElseThrow();
        assertThat(still.status()).isEqualTo(BuildStatus.BUILDING);
        assertThat(still.workerId()).contains("owner");
        assertThat(fx.dsl().fetchCount(BUILD_RESULTS)).isZero();
    }

    @Test
    void enqueueJoinsTheCallersTransaction() {
        String c = customer();
        assertThatThrownBy(() -> fx.dsl().transaction(cfg -> {
            queue.enqueue(cfg.dsl(), NewBuild.builder(c).idempotencyKey("tx-rollback").build());
            throw new IllegalStateException("caller fails after enqueueing");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(fx.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c))).isZero();

        Build committed = fx.dsl().transactionResult(cfg -> queue.enqueue(cfg.dsl(), NewBuild.builder(c).build()));
        assertThat(queue.find(committed.id())).isPresent();
    }

    @Test
    void batchEnqueueKeepsInputOrderAndHonoursKeys() {
        String c = customer();
        Build existing = queue.enqueue(NewBuild.builder(c).idempotencyKey("k2").build());
        List<Build> out = queue.enqueueAll(List.of(
                NewBuild.builder(c).priority(1).build(),
                NewBuild.builder(c).idempotencyKey("k2").build(),
                NewBuild.builder(c).priority(3).idempotencyKey("k3").build(),
                NewBuild.builder(c).priority(3).idempotencyKey("k3").build()));
        assertThat(out).hasSize(4);
        assertThat(out.get(0).priority()).isEqualTo(1);
        assertThat(out.get(1).id()).isEqualTo(existing.id());
        assertThat(out.get(2).id()).isEqualTo(out.get(3).id());
        assertThat(fx.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c))).isEqualTo(3);
    }

    @Test
    void badInputIsATypedErrorAndChangesNothing() {
        String c = customer();
        Build held = queue.enqueue(NewBuild.builder(c).build());
        queue.claim("w", 1);
        int builds = fx.dsl().fetchCount(BUILD_QUEUE);
        int events = fx.dsl().fetchCount(io.honua.db.schema.generated.Tables.BUILD_EVENTS);

        assertThatThrownBy(() -> NewBuild.builder(c).priority(0).build()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("priority must be 1..10");
        assertThatThrownBy(() -> NewBuild.builder(c).priority(11).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewBuild.builder(null).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder("nobody").build())).isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> queue.enqueueAll(List.of(NewBuild.builder(c).build(), NewBuild.builder("nobody").build())))
                .isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(c).dependsOn(UUID.randomUUID()).build()))
                .isInstanceOf(UnknownBuildException.class);
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(c).buildConfig("{not json").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.claim("w", -1)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.claim("w", 1001)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.claim(null, 1)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.claim("", 1)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.complete(null, "w", Completion.builder(Duration.ZERO).build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.complete(held.id(), null, Completion.builder(Duration.ZERO).build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.updateProgress(held.id(), "w", 101, "x")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.updateProgress(held.id(), "w", -1, "x")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.enqueueAll(List.of())).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.addDependency(held.id(), null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewBuild.builder(c).manifestHash("not-a-hash").build()).isInstanceOf(InvalidRequestException.class);

        assertThat(fx.dsl().fetchCount(BUILD_QUEUE)).isEqualTo(builds);
        assertThat(fx.dsl().fetchCount(io.honua.db.schema.generated.Tables.BUILD_EVENTS)).isEqualTo(events);
        assertThat(queue.find(held.id()).orElseThrow().progressPercent()).isZero();
    }

    @Test
    void introspectionReportsDepthAndStuckBuilds() {
        String a = customer();
        String b = customer();
        queue.enqueueAll(List.of(NewBuild.builder(a).priority(3).build(), NewBuild.builder(a).priority(3).build(),
                NewBuild.builder(b).priority(8).build()));
        Build running = queue.claim("w", 1).getFirst();
        fx.dsl().update(BUILD_QUEUE).set(BUILD_QUEUE.STARTED_AT, Instant.now().minus(Duration.ofDays(2)))
                .where(BUILD_QUEUE.ID.eq(running.id())).execute(); // started two days ago

        assertThat(queue.queuedCount()).isEqualTo(2);
        assertThat(queue.depthByStatus()).containsEntry(BuildStatus.QUEUED, 2L).containsEntry(BuildStatus.BUILDING, 1L)
                .containsEntry(BuildStatus.COMPLETED, 0L);
        assertThat(queue.depthByCustomer()).extracting(CustomerDepth::queued).containsExactlyInAnyOrder(
                a.equals(running.customerId()) ? 1L : 2L, a.equals(running.customerId()) ? 1L : 0L);
        assertThat(queue.depthByPriority().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2);
        assertThat(queue.oldestQueuedAge()).hasValueSatisfying(d -> assertThat(d).isGreaterThanOrEqualTo(Duration.ZERO));
        assertThat(queue.stuckBuilds(Duration.ofHours(1))).extracting(Build::id).containsExactly(running.id());
        assertThat(queue.stuckBuilds(Duration.ofDays(3))).isEmpty();
    }

    @Test
    void idleWorkersAreWokenByNotify() throws Exception {
        String c = customer();
        try (QueueWakeUp wakeUp = new QueueWakeUp(fx.pool())) {
            assertThat(wakeUp.await(Duration.ofMillis(200))).as("nothing happened yet").isFalse();
            CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> wakeUp.await(Duration.ofSeconds(20)));
            Thread.sleep(300);
            queue.enqueue(NewBuild.builder(c).build());
            assertThat(woken.get(20, TimeUnit.SECONDS)).isTrue();
        }
    }
}
