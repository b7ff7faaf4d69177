package io.honua.db.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.queue.ArtifactType;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.BuildStatus;
import io.honua.db.queue.Completion;
import io.honua.db.queue.DependencyCycleException;
import io.honua.db.queue.NewArtifact;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The unchanged build queue under the two roles: workers as {@code honua_worker} (all tenants), services as
 * {@code honua_app} through a {@link TenantScope} (one tenant).
 */
class RoleQueueTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(4).withWorkerPool(4);

    static DSLContext admin;
    static final String A = "rq-a";
    static final String B = "rq-b";

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        fx.honua().customers().create(NewCustomer.builder(A, "A").build());
        fx.honua().customers().create(NewCustomer.builder(B, "B").build());
    }

    @BeforeEach
    void emptyQueue() {
        admin.execute("DELETE FROM build_queue");
    }

    @Test
    void tenantsEnqueueAndWorkersRunEveryTenantsBuilds() {
        BuildQueue queueA = fx.app().forTenant(A).buildQueue();
        BuildQueue queueB = fx.app().forTenant(B).buildQueue();
        Build first = queueA.enqueue(NewBuild.builder(A).priority(8).build());
        // multi-statement enqueue (dependencies) inside the tenant's transaction
        Build second = queueA.enqueue(NewBuild.builder(A).dependsOn(first.id()).build());
        assertThat(second.pendingDependencies()).isEqualTo(1);
        Build other = queueB.enqueue(NewBuild.builder(B).build());
        assertThat(queueA.dependenciesOf(second.id())).containsExactly(first.id());
        assertThat(queueB.find(first.id())).isEmpty();

        BuildQueue workers = fx.worker().buildQueue();
        List<Build> claimed = workers.claim("w1", 10);
        assertThat(claimed).extracting(Build::id).containsExactlyInAnyOrder(first.id(), other.id());
        workers.heartbeat(first.id(), "w1");
        workers.updateProgress(first.id(), "w1", 50, "compiling");
        Build done = workers.complete(first.id(), "w1", Completion.builder(Duration.ofSeconds(3)).exitCode(0)
                .artifact(NewArtifact.of(ArtifactType.SBOM, "sbom.json", "s3://b/sbom.json", Fixtures.sha256("sbom"), 10)).build());
        assertThat(done.status()).isEqualTo(BuildStatus.COMPLETED);
        assertThat(workers.fail(other.id(), "w1", "boom").willRetry()).isTrue();
        assertThat(workers.claim("w2", 10)).extracting(Build::id).containsExactly(second.id());
        assertThat(workers.events(first.id())).extracting(e -> e.type()).containsExactly("queued", "claimed", "completed");

        // tenants see their own outcome only
        assertThat(queueA.find(first.id())).hasValueSatisfying(b -> assertThat(b.status()).isEqualTo(BuildStatus.COMPLETED));
        assertThat(queueA.events(other.id())).isEmpty();
        assertThat(queueB.find(other.id())).hasValueSatisfying(b -> assertThat(b.attempts()).isEqualTo(1));
        assertThat(admin.resultQuery("SELECT count(*) FROM build_artifacts WHERE build_id = ?", first.id()).fetchOne(0, Long.class)).isEqualTo(1);
    }

    @Test
    void tenantScopedWorkerRunsOnlyItsTenantsBuilds() {
        BuildQueue queueA = fx.app().forTenant(A).buildQueue();
        Build a = queueA.enqueue(NewBuild.builder(A).build());
        Build b = fx.app().forTenant(B).buildQueue().enqueue(NewBuild.builder(B).priority(10).build());
        assertThat(queueA.claim("wa", 10)).extracting(Build::id).containsExactly(a.id());
        Build done = queueA.complete(a.id(), "wa", Completion.builder(Duration.ofSeconds(1))
                .artifact(NewArtifact.of(ArtifactType.LOG, "log", "s3://b/log", Fixtures.sha256("log"), 1)).build());
        assertThat(done.status()).isEqualTo(BuildStatus.COMPLETED);
        assertThatThrownBy(() -> queueA.heartbeat(b.id(), "wa")).isInstanceOf(UnknownBuildException.class);
        assertThat(fx.worker().buildQueue().find(b.id())).hasValueSatisfying(x -> assertThat(x.status()).isEqualTo(BuildStatus.QUEUED));
    }

    @Test
    void aFailedMultiStatementTenantOperationLeavesNothingBehind() {
        BuildQueue queueA = fx.app().forTenant(A).buildQueue();
        Build x = queueA.enqueue(NewBuild.builder(A).build());
        Build y = queueA.enqueue(NewBuild.builder(A).dependsOn(x.id()).build());
        long before = admin.resultQuery("SELECT count(*) FROM build_queue").fetchOne(0, Long.class);
        // enqueue + a dependency on an unknown build in one tenant transaction: the whole transaction rolls back
        assertThatThrownBy(() -> queueA.enqueueAll(List.of(NewBuild.builder(A).build(),
                NewBuild.builder(A).dependsOn(java.util.UUID.randomUUID()).build())))
                .isInstanceOf(io.honua.db.core.HonuaException.class);
        assertThatThrownBy(() -> queueA.addDependency(x.id(), y.id())).isInstanceOf(DependencyCycleException.class);
        assertThat(admin.resultQuery("SELECT count(*) FROM build_queue").fetchOne(0, Long.class)).isEqualTo(before);
        // the pooled connections carry no tenant afterwards
        assertThat(DSL.using(fx.appPool(), SQLDialect.POSTGRES).resultQuery("SELECT count(*) FROM build_queue").fetchOne(0, Long.class)).isZero();
    }

    @Test
    void eightWorkerThreadsClaimEveryTenantsBuildsExactlyOnce() throws Exception {
        List<String> tenants = List.of(A, B);
        List<Build> enqueued = new java.util.ArrayList<>();
        for (String t : tenants) {
            for (int i = 0; i < 100; i++) {
                enqueued.add(fx.app().forTenant(t).buildQueue().enqueue(NewBuild.builder(t).priority(1 + i % 10).build()));
            }
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        var barrier = new java.util.concurrent.CyclicBarrier(8);
        List<java.util.concurrent.Future<List<java.util.UUID>>> futures = new java.util.ArrayList<>();
        for (int w = 0; w < 8; w++) {
            String id = "w" + w;
            futures.add(pool.submit(() -> {
                barrier.await(30, java.util.concurrent.TimeUnit.SECONDS);
                List<java.util.UUID> mine = new java.util.ArrayList<>();
                List<Build> got;
                while (!(got = fx.worker().buildQueue().claim(id, 3)).isEmpty()) {
                    got.forEach(b -> mine.add(b.id()));
                }
                return mine;
            }));
        }
        List<java.util.UUID> all = new java.util.ArrayList<>();
        for (var f : futures) {
            all.addAll(f.get(120, java.util.concurrent.TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertThat(all).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(enqueued.stream().map(Build::id).toList());
    }
}
