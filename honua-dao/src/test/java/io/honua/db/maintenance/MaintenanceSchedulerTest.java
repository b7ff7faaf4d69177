package io.honua.db.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testkit.HonuaDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three scheduler instances (three pools, worker role) compete for the same jobs. */
class MaintenanceSchedulerTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    static final int INSTANCES = 3;
    static final List<HikariDataSource> pools = new ArrayList<>();
    static DSLContext admin;

    /** A clock the test moves; shared by the instances so that they agree on the interval. */
    static final class TestClock extends Clock {
        volatile Instant now;

        TestClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** A job counting its executions, slow enough (150 ms) for the instances to overlap. */
    static final MaintenanceJob TICK = new MaintenanceJob("test-tick", "0 0 * * *", Duration.ofDays(1), Duration.ZERO, "maintenance_test_tick", List.of(150));
    static final MaintenanceJob BROKEN = new MaintenanceJob("test-broken", "0 0 * * *", Duration.ofDays(1), Duration.ZERO, "maintenance_test_broken", List.of());

    @BeforeAll
    static void setUp() {
        admin = DSL.using(db.dataSource(), SQLDialect.POSTGRES);
        admin.execute("CREATE TABLE maintenance_test_ticks (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())");
        admin.execute("CREATE FUNCTION maintenance_test_tick(p_sleep_ms integer) RETURNS integer LANGUAGE plpgsql AS $$ "
                + "BEGIN INSERT INTO maintenance_test_ticks DEFAULT VALUES; PERFORM pg_sleep(p_sleep_ms / 1000.0); RETURN 1; END $$");
        admin.execute("CREATE FUNCTION maintenance_test_broken() RETURNS integer LANGUAGE plpgsql AS $$ "
                + "BEGIN INSERT INTO maintenance_test_ticks DEFAULT VALUES; RAISE EXCEPTION 'broken on purpose'; END $$");
        admin.execute("GRANT SELECT, INSERT ON maintenance_test_ticks TO honua_worker");
        // functions created later are executable by nobody until granted (V13, issue 12)
        admin.execute("GRANT EXECUTE ON FUNCTION maintenance_test_tick(integer), maintenance_test_broken() TO honua_worker");
        admin.execute("GRANT USAGE ON SEQUENCE maintenance_test_ticks_id_seq TO honua_worker");
        for (int i = 0; i < INSTANCES; i++) {
            HikariDataSource pool = Fixtures.workerPool(db, 2);
            pools.add(pool);
        }
    }

    /** The scheduler of a {@code HonuaDb} over instance {@code i}'s pool, built with {@code options}. */
    static MaintenanceScheduler scheduler(int i, MaintenanceOptions options) {
        return HonuaDb.builder(pools.get(i)).maintenance(options).build().maintenance();
    }

    @AfterAll
    static void tearDown() {
        pools.forEach(HikariDataSource::close);
    }

    @BeforeEach
    void clean() {
        admin.execute("DELETE FROM maintenance_runs");
        admin.execute("DELETE FROM maintenance_test_ticks");
    }

    static List<MaintenanceScheduler> schedulers(TestClock clock, Duration tick) {
        List<MaintenanceScheduler> list = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            list.add(scheduler(i, MaintenanceOptions.defaults().withInstanceId("instance-" + i).withClock(clock)
                    .withTick(tick).withJob(TICK)));
        }
        return list;
    }

    static Map<String, Long> runsPerJob() {
        return admin.resultQuery("SELECT job, count(*) FROM maintenance_runs GROUP BY job").fetch()
                .stream().collect(Collectors.toMap(r -> r.get(0, String.class), r -> r.get(1, Long.class)));
    }

    static long ticks() {
        return admin.resultQuery("SELECT count(*) FROM maintenance_test_ticks").fetchOne(0, Long.class);
    }

    /** Every instance calls runDue() {@code passes} times, all starting together. */
    static List<JobRun> race(List<MaintenanceScheduler> schedulers, int passes) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(schedulers.size());
        var executor = java.util.concurrent.Executors.newFixedThreadPool(schedulers.size());
        List<CompletableFuture<List<JobRun>>> futures = new ArrayList<>();
        for (MaintenanceScheduler s : schedulers) {
            futures.add(CompletableFuture.supplyAsync(() -> {
                List<JobRun> runs = new ArrayList<>();
                try {
                    barrier.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int p = 0; p < passes; p++) {
                    runs.addAll(s.runDue());
                }
                return runs;
            }, executor));
        }
        List<JobRun> all = new ArrayList<>();
        for (var f : futures) {
            all.addAll(f.get(120, TimeUnit.SECONDS));
        }
        executor.shutdown();
        return all;
    }

    @Test
    void threeInstancesRunEachJobExactlyOncePerInterval() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-03-15T10:20:30Z"));
        List<MaintenanceScheduler> schedulers = schedulers(clock, Duration.ofSeconds(30));
        List<String> jobs = schedulers.getFirst().options().jobs().stream().map(MaintenanceJob::name).toList();
        assertThat(jobs).hasSize(8);

        List<JobRun> runs = race(schedulers, 5);
        Map<String, Long> ran = runs.stream().filter(r -> r.outcome() == JobRun.Outcome.RAN)
                .collect(Collectors.groupingBy(JobRun::job, Collectors.counting()));
        assertThat(ran).containsOnlyKeys(jobs).allSatisfy((job, n) -> assertThat(n).as(job).isEqualTo(1));
        assertThat(runsPerJob()).containsOnlyKeys(jobs).allSatisfy((job, n) -> assertThat(n).as(job).isEqualTo(1));
        assertThat(ticks()).isEqualTo(1);

        // the next interval of every job: each runs once more, the tick job included
        clock.now = clock.now.plus(Duration.ofDays(7));
        race(schedulers, 5);
        assertThat(runsPerJob()).allSatisfy((job, n) -> assertThat(n).as(job).isEqualTo(2));
        assertThat(ticks()).isEqualTo(2);
        // a minute later only the every-minute job is due again
        clock.now = clock.now.plus(Duration.ofMinutes(1));
        race(schedulers, 3);
        assertThat(runsPerJob().get("handle-timeouts")).isEqualTo(3);
        assertThat(runsPerJob().get("test-tick")).isEqualTo(2);
        assertThat(admin.resultQuery("SELECT count(DISTINCT instance_id) FROM maintenance_runs").fetchOne(0, Long.class)).isBetween(1L, 3L);
    }

    @Test
    void startedInstancesRunEachJobOncePerInterval() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-04-01T00:00:05Z"));
        List<MaintenanceScheduler> schedulers = schedulers(clock, Duration.ofMillis(20));
        schedulers.forEach(MaintenanceScheduler::start);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (runsPerJob().size() < 8 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(500); // many more ticks of every instance
        } finally {
            schedulers.forEach(MaintenanceScheduler::close);
        }
        assertThat(runsPerJob()).hasSize(8).allSatisfy((job, n) -> assertThat(n).as(job).isEqualTo(1));
        assertThat(ticks()).isEqualTo(1);
    }

    @Test
    void jobsDoTheirWork() {
        admin.execute("INSERT INTO customers (customer_id, name) VALUES ('maint-c', 'M') ON CONFLICT DO NOTHING");
        admin.execute("INSERT INTO conversations (customer_id, model, last_activity_at) VALUES ('maint-c', 'gpt', now() - interval '25 hours')");
        admin.execute("INSERT INTO conversations (customer_id, model) VALUES ('maint-c', 'gpt')");
        TestClock clock = new TestClock(Instant.parse("2026-05-01T12:00:00Z"));
        MaintenanceScheduler s = scheduler(0, MaintenanceOptions.defaults().withClock(clock));
        List<JobRun> runs = s.runDue();
        assertThat(runs).extracting(JobRun::outcome).containsOnly(JobRun.Outcome.RAN);
        assertThat(runs.stream().filter(r -> r.job().equals("expire-conversations")).findFirst().orElseThrow().affectedRows()).hasValue(1);
        assertThat(admin.resultQuery("SELECT count(*) FROM conversations WHERE status = 'abandoned'").fetchOne(0, Long.class)).isEqualTo(1);
        assertThat(s.runDue()).extracting(JobRun::outcome).containsOnly(JobRun.Outcome.ALREADY_DONE);
        assertThat(s.history("expire-conversations", 10)).singleElement().satisfies(r -> {
            assertThat(r.succeeded()).isTrue();
            assertThat(r.intervalStart()).isEqualTo(Instant.parse("2026-05-01T12:00:00Z"));
            assertThat(r.affectedRows()).hasValue(1);
        });
    }

    @Test
    void failedRunIsRecordedRolledBackAndNotRetriedInItsInterval() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-06-01T08:00:00Z"));
        List<MaintenanceScheduler> schedulers = new ArrayList<>();
        for (int i = 0; i < INSTANCES; i++) {
            schedulers.add(scheduler(i, MaintenanceOptions.defaults().withClock(clock).withJobs(List.of(BROKEN))));
        }
        List<JobRun> runs = race(schedulers, 4);
        assertThat(runs.stream().filter(r -> r.outcome() == JobRun.Outcome.FAILED)).singleElement()
                .satisfies(r -> assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains("broken on purpose")));
        assertThat(ticks()).as("the failed job's writes were rolled back").isZero();
        assertThat(schedulers.getFirst().history("test-broken", 10)).singleElement().satisfies(r -> {
            assertThat(r.succeeded()).isFalse();
            assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains("broken on purpose"));
        });
    }

    @Test
    void startedSchedulerReportsAFailedRunToItsErrorListener() throws Exception {
        TestClock clock = new TestClock(Instant.parse("2026-06-02T08:00:00Z"));
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        MaintenanceScheduler s = scheduler(0, MaintenanceOptions.defaults().withClock(clock)
                .withTick(Duration.ofMillis(20)).withJobs(List.of(BROKEN)).withErrorListener(errors::add));
        s.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (errors.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(200); // more ticks: the interval is not retried, so nothing more is reported
        } finally {
            s.close();
        }
        assertThat(errors).singleElement().satisfies(e -> assertThat(e.getMessage())
                .contains("test-broken", "2026-06-02T00:00:00Z", "broken on purpose"));
        assertThat(runsPerJob()).containsExactly(Map.entry("test-broken", 1L));
    }

    @Test
    void aFailureThatCannotBeRecordedReachesTheErrorListener() {
        HikariDataSource pool = Fixtures.workerPool(db, 1);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        HonuaDb unreachable = HonuaDb.builder(pool).maintenance(MaintenanceOptions.defaults().withJobs(List.of(TICK))
                .withErrorListener(errors::add)).build();
        pool.close();
        MaintenanceScheduler s = unreachable.maintenance();
        assertThat(s.runDue()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo(JobRun.Outcome.FAILED));
        assertThat(errors).as("the run could not be recorded: the listener is told").hasSize(1);
        assertThat(runsPerJob()).isEmpty();
        assertThat(ticks()).isZero();
        assertThatThrownBy(() -> MaintenanceOptions.defaults().withErrorListener(null)).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void intervalsAlignWithTheCronSchedules() {
        Map<String, MaintenanceJob> jobs = MaintenanceJob.defaults().stream().collect(Collectors.toMap(MaintenanceJob::name, j -> j));
        Instant t = Instant.parse("2026-11-26T07:45:12Z"); // a Thursday
        assertThat(jobs.get("expire-conversations").intervalStart(t)).isEqualTo(Instant.parse("2026-11-26T06:00:00Z"));
        assertThat(jobs.get("revoke-credentials").intervalStart(t)).isEqualTo(Instant.parse("2026-11-26T02:00:00Z"));
        assertThat(jobs.get("expire-licenses").intervalStart(Instant.parse("2026-11-26T00:30:00Z"))).isEqualTo(Instant.parse("2026-11-25T01:00:00Z"));
        assertThat(jobs.get("handle-timeouts").intervalStart(t)).isEqualTo(Instant.parse("2026-11-26T07:45:00Z"));
        assertThat(jobs.get("cleanup-logs").intervalStart(t)).isEqualTo(Instant.parse("2026-11-22T03:00:00Z")); // Sunday
        assertThat(jobs.get("purge-deleted").intervalStart(t)).isEqualTo(Instant.parse("2026-11-22T04:00:00Z"));
        assertThat(jobs.get("maintain-partitions").intervalStart(t)).isEqualTo(Instant.parse("2026-11-26T00:30:00Z"));
    }

    @Test
    void pgCronScheduleIsTheSeedsSchedule() {
        // the builder's default maintenance options: MaintenanceOptions.defaults()
        MaintenanceScheduler s = HonuaDb.create(pools.getFirst()).maintenance();
        assertThat(s.pgCronSchedule()).containsExactly(
                "SELECT cron.schedule('expire-conversations', '0 */6 * * *', 'SELECT expire_old_conversations(24);');",
                "SELECT cron.schedule('revoke-credentials', '0 2 * * *', 'SELECT revoke_expired_credentials();');",
                "SELECT cron.schedule('expire-licenses', '0 1 * * *', 'SELECT expire_licenses();');",
                "SELECT cron.schedule('handle-timeouts', '* * * * *', 'SELECT handle_build_timeouts();');",
                "SELECT cron.schedule('cleanup-logs', '0 3 * * 0', 'SELECT cleanup_old_build_logs(90);');",
                "SELECT cron.schedule('purge-deleted', '0 4 * * 0', 'SELECT purge_soft_deleted_records(30);');",
                "SELECT cron.schedule('maintain-partitions', '30 0 * * *', 'SELECT maintain_partitions();');");
    }

    @Test
    void badJobDefinitionsAreRefused() {
        assertThatThrownBy(() -> new MaintenanceJob("Bad Name", "* * * * *", Duration.ofMinutes(1), Duration.ZERO, "f", List.of()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new MaintenanceJob("ok", "* * * *", Duration.ofMinutes(1), Duration.ZERO, "f", List.of()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new MaintenanceJob("ok", "* * * * *'; DROP TABLE x; --", Duration.ofMinutes(1), Duration.ZERO, "f", List.of()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new MaintenanceJob("ok", "* * * * *", Duration.ofMinutes(1), Duration.ofMinutes(1), "f", List.of()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new MaintenanceJob("ok", "* * * * *", Duration.ofMinutes(1), Duration.ZERO, "drop table x", List.of()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> MaintenanceOptions.defaults().withJob(MaintenanceJob.defaults().getFirst()))
                .isInstanceOf(InvalidRequestException.class);
    }
}
