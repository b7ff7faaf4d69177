package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_EVENTS;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.QueueWakeUp;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The V14 scheduler: weighted fair share, aging at scale, caps, non-blocking claimers, batched operations, NOTIFY. */
class BuildQueueSchedulingTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(20);

    static BuildQueue queue;
    static DSLContext dsl;

    @BeforeAll
    static void setUp() {
        queue = fx.honua().buildQueue();
        dsl = fx.dsl();
    }

    @BeforeEach
    void emptyQueue() {
        dsl.deleteFrom(BUILD_QUEUE).execute();
    }

    private static List<Build> enqueueMany(BuildQueue q, String customer, int count, int priority) {
        List<Build> out = new ArrayList<>();
        for (int done = 0; done < count; done += 1000) {
            List<NewBuild> batch = new ArrayList<>();
            for (int i = done; i < Math.min(count, done + 1000); i++) {
                batch.add(NewBuild.builder(customer).priority(priority).build());
            }
            out.addAll(q.enqueueAll(batch));
        }
        return out;
    }

    @Test
    void backloggedCustomersGetClaimsInProportionToTheirWeights() {
        String w1 = Fixtures.newCustomer(fx.honua());
        String w2 = Fixtures.newCustomer(fx.honua());
        String w4 = Fixtures.newCustomer(fx.honua());
        queue.setFairShareWeight(w1, 1);
        queue.setFairShareWeight(w2, 2);
        queue.setFairShareWeight(w4, 4);
        assertThat(queue.fairShareWeight(w4)).isEqualTo(4);
        for (String c : List.of(w1, w2, w4)) {
            enqueueMany(queue, c, 4_500, 5);   // more than any of them can get: all three stay backlogged
        }
        Map<String, Integer> claims = new HashMap<>();
        int total = 0;
        while (total < 7_000) {
            List<Build> got = queue.claim("fair", 10);
            assertThat(got).isNotEmpty();
            for (Build b : got) {
                claims.merge(b.customerId(), 1, Integer::sum);
            }
            total += got.size();
        }
        assertThat(total).isEqualTo(7_000);
        assertThat(claims.get(w1)).isBetween(950, 1050);
        assertThat(claims.get(w2)).isBetween(1900, 2100);
        assertThat(claims.get(w4)).isBetween(3800, 4200);
    }

    @Test
    void equalWeightsAreRoundRobinAndTheDefaultWeightFollowsTheLicenseTier() {
        String a = Fixtures.newCustomer(fx.honua());
        String b = Fixtures.newCustomer(fx.honua());
        String c = Fixtures.newCustomer(fx.honua());
        Fixtures.license(dsl, c, 1000);   // professional
        assertThat(queue.fairShareWeight(a)).isEqualTo(1);
        assertThat(queue.fairShareWeight(c)).isEqualTo(4);
        queue.setFairShareWeight(c, 1);
        assertThat(queue.fairShareWeight(c)).isEqualTo(1);
        for (String x : List.of(a, b, c)) {
            enqueueMany(queue, x, 30, 5);
        }
        for (int round = 0; round < 10; round++) {
            assertThat(queue.claim("rr", 3)).extracting(Build::customerId).containsExactlyInAnyOrder(a, b, c);
        }
        queue.clearFairShareWeight(c);
        assertThat(queue.fairShareWeight(c)).isEqualTo(4);
        assertThatThrownBy(() -> queue.setFairShareWeight(a, 0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> queue.setFairShareWeight("no-such-customer", 2)).isInstanceOf(UnknownCustomerException.class);
    }

    @Test
    void agingLetsAnOldLowPriorityBuildOvertakeFreshHighPriorityBuildsOfAThousandCustomers() throws Exception {
        BuildQueue aging = new BuildQueue(dsl, QueueOptions.DEFAULTS.withAgingStep(Duration.ofMillis(100)));
        String patient = Fixtures.newCustomer(fx.honua());
        Build old = aging.enqueue(NewBuild.builder(patient).priority(1).build());
        dsl.execute("INSERT INTO customers (customer_id, name) SELECT 'aging-' || g, 'aging' FROM generate_series(1, 1000) g"
                + " ON CONFLICT DO NOTHING");
        Thread.sleep(1_200);   // more than 9 aging steps of 100 ms
        List<NewBuild> fresh = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
            fresh.add(NewBuild.builder("aging-" + i).priority(10).build());
        }
        aging.enqueueAll(fresh);
        List<Build> patientsFresh = aging.enqueueAll(List.of(NewBuild.builder(patient).priority(10).build()));
        // the old build is the best of all 1,001 customers' builds: claimed first
        assertThat(aging.claim("w", 1)).extracting(Build::id).containsExactly(old.id());
        // and its customer's fresh priority-10 build comes after it, in the customer's next turn
        Set<UUID> claimed = new java.util.HashSet<>();
        for (List<Build> got; !(got = aging.claim("w", 100)).isEmpty(); ) {
            got.forEach(b -> claimed.add(b.id()));
        }
        assertThat(claimed).hasSize(1001).contains(patientsFresh.getFirst().id());
    }

    @Test
    void anEndedTrialLicenseGivesNeitherCapNorWeight() {
        // the queue's license rule is license_is_valid()'s: a trial license ends at trial_ends_at
        String c = Fixtures.newCustomer(fx.honua());
        Fixtures.license(dsl, c, 1);
        UUID trial = Fixtures.license(dsl, c, 5);
        dsl.update(io.honua.db.schema.generated.Tables.LICENSES)
                .set(io.honua.db.schema.generated.Tables.LICENSES.STATUS, "trial")
                .set(io.honua.db.schema.generated.Tables.LICENSES.TIER, "enterprise")
                .set(io.honua.db.schema.generated.Tables.LICENSES.IS_TRIAL, true)
                .set(io.honua.db.schema.generated.Tables.LICENSES.TRIAL_ENDS_AT, java.time.Instant.now().minus(Duration.ofDays(1)))
                .where(io.honua.db.schema.generated.Tables.LICENSES.ID.eq(trial))
                .execute();
        enqueueMany(queue, c, 4, 5);

        assertThat(queue.claim("trial-w", 10)).hasSize(1);   // the valid license's cap of 1, not the ended trial's 5
        assertThat(queue.claim("trial-w", 10)).isEmpty();
        // professional (4), not the ended enterprise trial (8)
        assertThat(queue.fairShareWeight(c)).isEqualTo(4);
    }

    @Test
    void capsHoldWithManyClaimersAndManyCustomers() throws Exception {
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String c = Fixtures.newCustomer(fx.honua());
            Fixtures.license(dsl, c, 2);
            customers.add(c);
        }
        List<NewBuild> builds = new ArrayList<>();
        for (String c : customers) {
            for (int i = 0; i < 10; i++) {
                builds.add(NewBuild.builder(c).priority(1 + i % 10).build());
            }
        }
        queue.enqueueAll(builds);
        Map<String, AtomicInteger> runningNow = new ConcurrentHashMap<>();
        AtomicInteger overCapInMemory = new AtomicInteger();
        AtomicInteger completed = new AtomicInteger();
        int threads = 8;
        ExecutorService ex = Executors.newFixedThreadPool(threads + 1);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String worker = "cap-" + t;
            fs.add(ex.submit(() -> {
                int idle = 0;
                while (completed.get() < 1000 && idle < 200) {
                    List<Build> got = queue.claim(worker, 5);
                    if (got.isEmpty()) {
                        idle++;
                        Thread.sleep(5);
                        continue;
                    }
                    idle = 0;
                    for (Build b : got) {
                        if (runningNow.computeIfAbsent(b.customerId(), k -> new AtomicInteger()).incrementAndGet() > 2) {
                            overCapInMemory.incrementAndGet();
                        }
                    }
                    Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                    Map<UUID, Completion> done = new LinkedHashMap<>();
                    for (Build b : got) {
                        runningNow.get(b.customerId()).decrementAndGet();
                        done.put(b.id(), Completion.builder(Duration.ofMillis(1)).build());
                    }
                    assertThat(queue.completeAll(worker, done).notHeld()).isEmpty();
                    completed.addAndGet(got.size());
                }
                return null;
            }));
        }
        // the database's view, sampled while the claimers run
        AtomicInteger overCapInDb = new AtomicInteger();
        Future<?> monitor = ex.submit(() -> {
            while (completed.get() < 1000 && fs.stream().anyMatch(f -> !f.isDone())) {
                Integer worst = dsl.resultQuery("SELECT coalesce(max(n), 0)::int FROM (SELECT count(*) AS n FROM build_queue "
                        + "WHERE status = 'building' GROUP BY customer_id) x").fetchOne(0, Integer.class);
                if (worst > 2) {
                    overCapInDb.incrementAndGet();
                }
            }
            return null;
        });
        for (Future<?> f : fs) {
            f.get();
        }
        monitor.get();
        ex.shutdown();
        assertThat(completed.get()).isEqualTo(1000);
        assertThat(overCapInMemory).hasValue(0);
        assertThat(overCapInDb).hasValue(0);
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("completed"))).isEqualTo(1000);
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.ATTEMPTS.ne(1))).isZero();
    }

    @Test
    void aClaimerHoldingItsTransactionOpenDoesNotBlockAnother() throws Exception {
        String a = Fixtures.newCustomer(fx.honua());
        String b = Fixtures.newCustomer(fx.honua());
        enqueueMany(queue, a, 5, 5);
        enqueueMany(queue, b, 5, 5);
        try (Connection holder = fx.pool().getConnection(); Connection other = fx.pool().getConnection()) {
            holder.setAutoCommit(false);
            List<String> held = new ArrayList<>();
            List<String> got = new ArrayList<>();
            try (Statement s = holder.createStatement();
                 var rs = s.executeQuery("SELECT customer_id FROM claim_builds('holder', 1, 60)")) {
                while (rs.next()) {
                    held.add(rs.getString(1));
                }
            }
            assertThat(held).hasSize(1);
            // any wait for a lock held by the open transaction would fail this claimer (lock_not_available)
            try (Statement s = other.createStatement()) {
                s.execute("SET lock_timeout = '200ms'");
                try (var rs = s.executeQuery("SELECT customer_id FROM claim_builds('other', 10, 60)")) {
                    while (rs.next()) {
                        got.add(rs.getString(1));
                    }
                }
                s.execute("RESET lock_timeout");
                // the held customer's row is locked: the other claimer skipped it and took the other customer's builds
                assertThat(got).isNotEmpty().doesNotContain(held.getFirst());
            }
            holder.rollback();
            // once the holder is gone, its customer's builds are claimable again (nothing was lost)
            assertThat(queue.claim("after", 100)).hasSize(10 - got.size());
            assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("queued"))).isZero();
        }
    }

    @Test
    void batchedCompleteFailAndHeartbeatReportWhatIsNotHeld() {
        String c = Fixtures.newCustomer(fx.honua());
        enqueueMany(queue, c, 6, 5);
        List<Build> mine = queue.claim("w1", 6);
        assertThat(mine).hasSize(6);
        UUID cancelled = mine.get(0).id();
        queue.cancel(cancelled, "user");
        UUID stolen = mine.get(1).id();
        dsl.update(BUILD_QUEUE).set(BUILD_QUEUE.WORKER_ID, "w2").where(BUILD_QUEUE.ID.eq(stolen)).execute();
        UUID unknown = UUID.randomUUID();

        List<UUID> ids = new ArrayList<>(mine.stream().map(Build::id).toList());
        ids.add(unknown);
        HeartbeatResult beat = queue.heartbeatAll("w1", ids);
        assertThat(beat.extended()).containsOnlyKeys(mine.subList(2, 6).stream().map(Build::id).toList());
        assertThat(beat.cancelled()).containsExactly(cancelled);
        assertThat(beat.lost()).containsExactlyInAnyOrder(stolen, unknown);

        Map<UUID, Completion> done = new LinkedHashMap<>();
        done.put(mine.get(2).id(), Completion.builder(Duration.ofSeconds(2)).exitCode(0).build());
        done.put(mine.get(3).id(), Completion.builder(Duration.ofSeconds(3)).exitCode(0)
                .artifact(NewArtifact.of(ArtifactType.LOG, "log", "s3://b/log", Fixtures.sha256("log"), 1)).build());
        done.put(stolen, Completion.builder(Duration.ofSeconds(1)).build());
        BatchResult completed = queue.completeAll("w1", done);
        assertThat(completed.done()).extracting(Build::status).containsOnly(BuildStatus.COMPLETED);
        assertThat(completed.done()).extracting(Build::id).containsExactlyInAnyOrder(mine.get(2).id(), mine.get(3).id());
        assertThat(completed.notHeld()).containsExactly(stolen);
        assertThat(dsl.fetchCount(BUILD_RESULTS, BUILD_RESULTS.BUILD_ID.in(mine.get(2).id(), mine.get(3).id()))).isEqualTo(2);
        assertThat(dsl.fetchValue(DSL.select(BUILD_RESULTS.DURATION_MS).from(BUILD_RESULTS).where(BUILD_RESULTS.BUILD_ID.eq(mine.get(3).id()))))
                .isEqualTo(3000L);
        assertThat(dsl.resultQuery("SELECT count(*) FROM build_artifacts WHERE build_id = ?", mine.get(3).id()).fetchOne(0, Long.class)).isEqualTo(1L);
        assertThat(queue.find(stolen).orElseThrow().status()).isEqualTo(BuildStatus.BUILDING);

        Map<UUID, String> errors = new LinkedHashMap<>();
        errors.put(mine.get(4).id(), "boom");
        errors.put(mine.get(5).id(), "bang");
        errors.put(mine.get(2).id(), "already completed");
        BatchResult failed = queue.failAll("w1", errors);
        assertThat(failed.done()).extracting(Build::status).containsOnly(BuildStatus.QUEUED);
        assertThat(failed.done()).extracting(Build::lastError).containsExactlyInAnyOrder(java.util.Optional.of("boom"), java.util.Optional.of("bang"));
        assertThat(failed.notHeld()).containsExactly(mine.get(2).id());
        // per build events stay gapless and in order
        assertThat(queue.events(mine.get(3).id())).extracting(BuildEvent::type).containsExactly("queued", "claimed", "completed");
        assertThat(queue.events(mine.get(4).id())).extracting(BuildEvent::type).containsExactly("queued", "claimed", "retried");
        assertThat(queue.events(mine.get(4).id())).extracting(BuildEvent::seq).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> queue.completeAll("w1", Map.of())).isInstanceOf(InvalidRequestException.class);
        assertThat(dsl.fetchCount(BUILD_EVENTS, BUILD_EVENTS.BUILD_ID.eq(stolen))).isEqualTo(2);   // queued, claimed, nothing more
    }

    private static List<PGNotification> drain(Connection listener, int waitMillis) throws Exception {
        List<PGNotification> all = new ArrayList<>();
        long end = System.currentTimeMillis() + waitMillis;
        while (System.currentTimeMillis() < end) {
            PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications(50);
            if (got != null) {
                all.addAll(List.of(got));
            }
        }
        return all;
    }

    @Test
    void notifyIsCoalescedToOnePerTransactionSentOnlyWhenACustomerBecomesClaimableAndCanBeSwitchedOff() throws Exception {
        String c = Fixtures.newCustomer(fx.honua());
        try (Connection listener = fx.db().dataSource().getConnection()) {
            try (Statement s = listener.createStatement()) {
                s.execute("LISTEN " + QueueWakeUp.CHANNEL);
            }
            // one transaction: three enqueue statements of a customer with nothing queued: one notification
            io.honua.db.internal.Transactions.inTransaction(dsl, tx -> {
                queue.enqueue(tx, NewBuild.builder(c).build());
                queue.enqueue(tx, NewBuild.builder(c).build());
                queue.enqueueAll(tx, List.of(NewBuild.builder(c).build(), NewBuild.builder(c).build()));
                return null;
            });
            assertThat(drain(listener, 500)).hasSize(1);
            // more builds of a customer that is claimable already: no notification (workers that could claim them
            // were not idle for lack of work)
            queue.enqueue(NewBuild.builder(c).build());
            queue.enqueue(NewBuild.builder(c).build());
            assertThat(drain(listener, 500)).as("customer already claimable").isEmpty();
            // two transactions that each make a customer claimable: two notifications
            queue.enqueue(NewBuild.builder(Fixtures.newCustomer(fx.honua())).build());
            queue.enqueue(NewBuild.builder(Fixtures.newCustomer(fx.honua())).build());
            assertThat(drain(listener, 500)).hasSize(2);
            // switched off for the enqueues of this queue instance
            BuildQueue quiet = new BuildQueue(dsl, QueueOptions.DEFAULTS.withNotifyWorkers(false));
            String q = Fixtures.newCustomer(fx.honua());
            quiet.enqueueAll(List.of(NewBuild.builder(q).build(), NewBuild.builder(q).build()));
            assertThat(drain(listener, 500)).isEmpty();
            // and for a whole session by the database setting
            String off = Fixtures.newCustomer(fx.honua());
            try (Connection conn = fx.pool().getConnection(); Statement s = conn.createStatement()) {
                s.execute("SET honua.queue_notify = 'off'");
                s.execute("SELECT * FROM enqueue_builds(ARRAY['" + off + "'], ARRAY[5], ARRAY[NULL::uuid], ARRAY[NULL::text], "
                        + "ARRAY[NULL::text], ARRAY[NULL::bigint], ARRAY[NULL::integer], ARRAY[NULL::integer], ARRAY['{}'], "
                        + "ARRAY[NULL::text], ARRAY[NULL::text], 60000)");
                s.execute("RESET honua.queue_notify");
            }
            assertThat(drain(listener, 500)).isEmpty();
            // claims do not notify, and neither do completions that free no slot a capped customer waits for
            List<Build> claimed = queue.claim("n", 8);
            assertThat(claimed).hasSize(8);
            assertThat(drain(listener, 200)).as("claims do not notify").isEmpty();
            queue.completeAll("n", claimed.stream().collect(Collectors.toMap(Build::id, b -> Completion.builder(Duration.ofMillis(1)).build())));
            assertThat(drain(listener, 500)).as("uncapped customers' completions").isEmpty();
            dsl.deleteFrom(BUILD_QUEUE).execute();
            // a customer at its cap waits for a slot: the completion that frees it notifies, once for the batch
            String capped = Fixtures.newCustomer(fx.honua());
            Fixtures.license(dsl, capped, 1);
            queue.enqueueAll(List.of(NewBuild.builder(capped).build(), NewBuild.builder(capped).build()));
            assertThat(drain(listener, 500)).hasSize(1);
            List<Build> one = queue.claim("n", 10);
            assertThat(one).hasSize(1);
            assertThat(queue.claim("n", 10)).as("at its cap").isEmpty();
            queue.completeAll("n", Map.of(one.getFirst().id(), Completion.builder(Duration.ofMillis(1)).build()));
            assertThat(drain(listener, 500)).as("slot freed for a capped customer").hasSize(1);
            assertThat(queue.claim("n", 10)).hasSize(1);
        }
    }

    @Test
    void poolExhaustedIsATypedExceptionAndTheWorkerBacksOffThenRecovers() throws Exception {
        com.zaxxer.hikari.HikariConfig config = Fixtures.poolConfig(fx.db(), 1, "tiny");
        config.setConnectionTimeout(250);
        try (HikariDataSource tiny = new HikariDataSource(config)) {
            BuildQueue q = HonuaDb.create(tiny).buildQueue();
            String c = Fixtures.newCustomer(fx.honua());
            queue.enqueue(NewBuild.builder(c).build());
            List<Long> errorTimes = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            Connection taken = tiny.getConnection();
            assertThatThrownBy(() -> q.claim("tiny", 1)).isInstanceOf(PoolExhaustedException.class)
                    .isInstanceOf(DatabaseUnavailableException.class);
            BuildWorker worker = BuildWorker.builder(q, fx.db().dataSource(), "tiny-worker",
                            (b, ctx) -> Completion.builder(Duration.ofMillis(1)).build())
                    .pollInterval(Duration.ofMillis(20)).errorBackoffMax(Duration.ofSeconds(2))
                    .errorListener(e -> {
                        errors.add(e);
                        errorTimes.add(System.nanoTime());
                    }).start();
            try {
                while (errorTimes.size() < 6) {
                    Thread.sleep(20);
                }
                assertThat(errors).allSatisfy(e -> assertThat(e).isInstanceOf(PoolExhaustedException.class));
                // exponential: the gap between failures grows (each failure also waits the pool's 250 ms timeout)
                long gap1 = errorTimes.get(1) - errorTimes.get(0);
                long gap5 = errorTimes.get(5) - errorTimes.get(4);
                assertThat(gap5).isGreaterThan(gap1);
                assertThat(Duration.ofNanos(gap5)).isGreaterThanOrEqualTo(Duration.ofMillis(800));
                assertThat(worker.backoffCount()).isGreaterThanOrEqualTo(6);
                taken.close();   // the pool has a connection again: the worker keeps going on its own
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (worker.completedCount() < 1 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(worker.completedCount()).isEqualTo(1);
            } finally {
                worker.close();
            }
        }
    }
}
