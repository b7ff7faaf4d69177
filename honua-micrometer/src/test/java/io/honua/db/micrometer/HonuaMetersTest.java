package io.honua.db.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.cache.CacheAccessRecorder;
import io.honua.db.cache.RecorderOptions;
import io.honua.db.cache.RecorderReport;
import io.honua.db.maintenance.JobRun;
import io.honua.db.maintenance.MaintenanceJob;
import io.honua.db.maintenance.MaintenanceOptions;
import io.honua.db.maintenance.MaintenanceScheduler;
import io.honua.db.queue.BuildWorker;
import io.honua.db.queue.Completion;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.QueueOptions;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.testkit.HonuaDatabase;
import io.honua.db.types.Tier;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every meter read from a SimpleMeterRegistry after real work against PostgreSQL. */
class HonuaMetersTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    static HikariDataSource pool;
    static SimpleMeterRegistry registry;
    static HonuaDb honua;

    @BeforeAll
    static void setUp() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(8);
        pool = new HikariDataSource(config);
        registry = new SimpleMeterRegistry();
        honua = HonuaDb.builder(pool)
                .queueOptions(QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(3)).withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .executeListener(new QueueTimings(registry))
                .slowQueryThreshold(Duration.ofMillis(100))
                .build();
    }

    @AfterAll
    static void tearDown() {
        pool.close();
    }

    static String customer(String id) {
        return honua.customers().create(NewCustomer.builder(id, "Customer " + id).build()).customerId();
    }

    static double gauge(SimpleMeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    @Test
    void queueDepthPerStatusAndCustomerWithTheRestAsOther() throws Exception {
        // 5 customers with 5, 4, 3, 2, 1 waiting builds; top 2 by name, the other 3 summed
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String c = customer("depth-" + i);
            customers.add(c);
            List<NewBuild> builds = new ArrayList<>();
            for (int k = 0; k < 5 - i; k++) {
                builds.add(NewBuild.builder(c).build());
            }
            honua.buildQueue().enqueueAll(builds);
        }
        Thread.sleep(20); // the oldest waiting build is older than 0 ms by the database clock
        SimpleMeterRegistry registry = new SimpleMeterRegistry(); // one HonuaMeters per registry
        try (HonuaMeters meters = HonuaMeters.builder(honua).topCustomers(2).refreshInterval(Duration.ofHours(1)).build()) {
            meters.bindTo(registry); // refreshes once at once
            assertThat(gauge(registry, "honua.queue.depth", "status", "queued")).isEqualTo(15);
            assertThat(gauge(registry, "honua.queue.depth", "status", "ready")).isEqualTo(15);
            assertThat(gauge(registry, "honua.queue.depth", "status", "building")).isEqualTo(0);
            assertThat(registry.get("honua.queue.oldest.age").timeGauge().value(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(10);
            assertThat(gauge(registry, "honua.queue.customer.depth", "customer", "depth-0", "status", "queued")).isEqualTo(5);
            assertThat(gauge(registry, "honua.queue.customer.depth", "customer", "depth-1", "status", "queued")).isEqualTo(4);
            assertThat(gauge(registry, "honua.queue.customer.depth", "customer", "other", "status", "queued")).isEqualTo(3 + 2 + 1);
            // bounded: 2 customers + other, two statuses each
            assertThat(registry.find("honua.queue.customer.depth").gauges()).hasSize(6);

            // claim 2 of them: the gauges follow at the next refresh
            assertThat(honua.buildQueue().claim("meters-probe", 2)).hasSize(2);
            meters.refresh();
            assertThat(gauge(registry, "honua.queue.depth", "status", "queued")).isEqualTo(13);
            assertThat(gauge(registry, "honua.queue.depth", "status", "building")).isEqualTo(2);
        } finally {
            honua.dsl().deleteFrom(io.honua.db.schema.generated.Tables.BUILD_QUEUE).execute();
        }
    }

    @Test
    void workerTimersAndCountersAfterDrainingBuilds() throws Exception {
        String c = customer("worker-" + UUID.randomUUID().toString().substring(0, 8));
        int n = 30;
        List<NewBuild> builds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            builds.add(NewBuild.builder(c).build());
        }
        try (BuildWorker worker = BuildWorker.builder(honua.buildQueue(), pool, "meter-worker", (build, ctx) -> {
                    ctx.progress(50, "half way");
                    Thread.sleep(120); // outlives a few heartbeats
                    if (build.attempts() == 1 && build.id().hashCode() % 5 == 0) {
                        throw new IllegalStateException("flaky step");
                    }
                    return Completion.builder(Duration.ofMillis(120)).build();
                }).maxConcurrent(6).batchSize(3).pollInterval(Duration.ofMillis(100)).heartbeatInterval(Duration.ofMillis(40))
                .start()) {
            HonuaMeters.bindWorker(registry, worker);
            honua.buildQueue().enqueueAll(builds);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (worker.completedCount() < n && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(worker.completedCount()).isEqualTo(n);
            assertThat(registry.get("honua.worker.builds").tags("worker", "meter-worker", "outcome", "completed")
                    .functionCounter().count()).isEqualTo(n);
            assertThat(registry.get("honua.worker.builds").tags("worker", "meter-worker", "outcome", "failed")
                    .functionCounter().count()).isEqualTo(worker.failedCount());
            assertThat(registry.get("honua.worker.running").tags("worker", "meter-worker").gauge().value())
                    .isEqualTo(worker.runningCount());
            long failed = worker.failedCount();

            Timer claim = registry.get(QueueTimings.TIMER).tags("operation", "claim", "outcome", "success").timer();
            Timer complete = registry.get(QueueTimings.TIMER).tags("operation", "complete", "outcome", "success").timer();
            Timer heartbeat = registry.get(QueueTimings.TIMER).tags("operation", "heartbeat", "outcome", "success").timer();
            Timer progress = registry.get(QueueTimings.TIMER).tags("operation", "progress", "outcome", "success").timer();
            assertThat(claim.count()).isGreaterThanOrEqualTo(n / 3);
            // the worker writes completions in batches (completeAll: one statement, one timing, per batch)
            assertThat(complete.count()).isBetween(1L, (long) n);
            assertThat(progress.count()).isEqualTo(n + failed);
            assertThat(heartbeat.count()).isPositive();
            assertThat(complete.totalTime(TimeUnit.NANOSECONDS)).isPositive();
            if (failed > 0) {
                assertThat(registry.get(QueueTimings.TIMER).tags("operation", "fail", "outcome", "success").timer().count())
                        .isBetween(1L, failed);
            }
            assertThat(registry.get(QueueTimings.TIMER).tags("operation", "enqueue").timer().count()).isPositive();
        }
    }

    @Test
    void statementsAndSlowStatementsFromTheSlowQueryListener() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (HonuaMeters meters = HonuaMeters.builder(honua).refreshInterval(Duration.ofHours(1)).build()) {
            meters.bindTo(registry);
            double before = registry.get("honua.db.statements").tags("kind", "slow").functionTimer().count();
            double allBefore = registry.get("honua.db.statements").tags("kind", "all").functionTimer().count();
            honua.dsl().select(DSL.field("pg_sleep(0.15)")).fetch();
            assertThat(registry.get("honua.db.statements").tags("kind", "slow").functionTimer().count()).isEqualTo(before + 1);
            assertThat(registry.get("honua.db.statements").tags("kind", "all").functionTimer().count()).isGreaterThanOrEqualTo(allBefore + 1);
            assertThat(registry.get("honua.db.statements").tags("kind", "slow").functionTimer().totalTime(TimeUnit.MILLISECONDS))
                    .isGreaterThanOrEqualTo(150);
        }
    }

    @Test
    void recorderCountersMatchItsReport() {
        String c = customer("recorder-" + UUID.randomUUID().toString().substring(0, 8));
        int n = 500;
        CacheAccessRecorder recorder = honua.buildCache().recorder(RecorderOptions.DEFAULTS.withCapacity(n));
        HonuaMeters.bindRecorder(registry, "cache-access", recorder);
        for (int i = 0; i < n; i++) {
            recorder.record(c, sha256("m" + i), Tier.FREE, i % 2 == 0);
        }
        recorder.record(c, sha256("one more"), Tier.FREE, false); // accepted, or refused while the buffer is full
        assertThat(recorder.flush(Duration.ofSeconds(30))).isTrue();
        recorder.close();
        RecorderReport report = recorder.report();
        assertThat(report.accepted() + report.refused()).isEqualTo(n + 1);
        assertThat(report.written()).isEqualTo(report.accepted());
        assertThat(counter("accepted")).isEqualTo(report.accepted());
        assertThat(counter("written")).isEqualTo(report.written());
        assertThat(counter("refused")).isEqualTo(report.refused());
        assertThat(counter("failed")).isZero();
        assertThat(registry.get("honua.recorder.pending").tags("recorder", "cache-access").gauge().value()).isZero();
    }

    static double counter(String state) {
        return registry.get("honua.recorder.events").tags("recorder", "cache-access", "state", state).functionCounter().count();
    }

    @Test
    void maintenanceRunsAndFailuresPerJob() {
        honua.dsl().execute("CREATE FUNCTION meters_test_ok() RETURNS integer LANGUAGE sql AS 'SELECT 1'");
        honua.dsl().execute("CREATE FUNCTION meters_test_broken() RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'broken on purpose'; END $$");
        MaintenanceJob ok = new MaintenanceJob("meters-ok", "0 0 * * *", Duration.ofDays(1), Duration.ZERO, "meters_test_ok", List.of());
        MaintenanceJob broken = new MaintenanceJob("meters-broken", "0 0 * * *", Duration.ofDays(1), Duration.ZERO, "meters_test_broken", List.of());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // the maintenance options are given to a builder: a HonuaDb over the same pool runs these two jobs
        HonuaDb scheduling = HonuaDb.builder(pool).maintenance(MaintenanceOptions.defaults().withJobs(List.of(ok, broken))).build();
        try (MaintenanceScheduler scheduler = scheduling.maintenance();
             HonuaMeters meters = HonuaMeters.builder(honua).refreshInterval(Duration.ofHours(1)).build()) {
            List<JobRun> runs = scheduler.runDue();
            assertThat(runs).hasSize(2);
            meters.bindTo(registry);
            assertThat(registry.get("honua.maintenance.runs").tags("job", "meters-ok", "outcome", "succeeded").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("honua.maintenance.runs").tags("job", "meters-ok", "outcome", "failed").functionCounter().count()).isZero();
            assertThat(registry.get("honua.maintenance.runs").tags("job", "meters-broken", "outcome", "failed").functionCounter().count()).isEqualTo(1);
            assertThat(registry.get("honua.maintenance.runs").tags("job", "meters-broken", "outcome", "succeeded").functionCounter().count()).isZero();
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
