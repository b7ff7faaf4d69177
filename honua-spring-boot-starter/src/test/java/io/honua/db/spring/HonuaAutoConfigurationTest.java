package io.honua.db.spring;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.HonuaDb;
import io.honua.db.queue.BuildHandler;
import io.honua.db.queue.BuildWorker;
import io.honua.db.queue.Completion;
import io.honua.db.queue.NewBuild;
import io.honua.db.schema.HonuaMigrations;
import io.honua.db.schema.MigrationReport;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.testkit.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configuration in a real Spring Boot application context: DataSource from {@code spring.datasource.*}
 * (HikariCP), a throwaway database of the test kit (HONUA_DB_URL, Docker or embedded PostgreSQL), real health endpoint.
 */
class HonuaAutoConfigurationTest {

    static ApplicationContextRunner runner(TestDatabase db) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, HonuaAutoConfiguration.class,
                        HealthContributorAutoConfiguration.class, HealthContributorRegistryAutoConfiguration.class,
                        HealthEndpointAutoConfiguration.class))
                .withPropertyValues(
                        "spring.datasource.url=" + db.jdbcUrl(),
                        "spring.datasource.username=" + db.user(),
                        "spring.datasource.password=" + db.password(),
                        "spring.datasource.hikari.maximum-pool-size=8",
                        "management.endpoint.health.show-details=always",
                        "honua.worker.id=spring-worker",
                        "honua.worker.lease=3s", // heartbeats every second: close() does not wait long for the heartbeat thread
                        "honua.worker.concurrency=4",
                        "honua.worker.batch-size=2",
                        "honua.worker.poll-interval=200ms",
                        "honua.metrics.refresh-interval=1h");
    }

    /** The application's handler: counts builds and remembers which ones it ran. */
    @Configuration(proxyBeanMethods = false)
    static class CountingHandler {
        static final Set<UUID> ran = ConcurrentHashMap.newKeySet();

        @Bean
        BuildHandler buildHandler() {
            return (build, ctx) -> {
                ctx.progress(50, "building");
                ran.add(build.id());
                return Completion.builder(Duration.ofMillis(1)).exitCode(0).build();
            };
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    static String customer(HonuaDb honua) {
        String id = "spring-" + UUID.randomUUID().toString().substring(0, 8);
        return honua.customers().create(NewCustomer.builder(id, "Spring " + id).build()).customerId();
    }

    @Test
    void migratesOnStartUpAndTheHandlerBeanDrainsEnqueuedBuildsAndHealthIsUp() throws Exception {
        try (TestDatabase db = TestDatabase.empty("SpringStarter")) {
            runner(db).withUserConfiguration(CountingHandler.class).run(context -> {
                assertThat(context).hasNotFailed();
                MigrationReport report = context.getBean(HonuaSchemaMigration.class).report();
                assertThat(report.previousVersion()).isEmpty();
                assertThat(report.applied()).isNotEmpty();
                String version = HonuaMigrations.forDataSource(db.dataSource()).currentVersion().orElseThrow();
                assertThat(report.currentVersion()).contains(version);

                HonuaDb honua = context.getBean(HonuaDb.class);
                HonuaWorkers workers = context.getBean(HonuaWorkers.class);
                assertThat(workers.isRunning()).isTrue();
                assertThat(workers.workers()).extracting(BuildWorker::workerId).containsExactly("spring-worker");

                String c = customer(honua);
                List<NewBuild> builds = new ArrayList<>();
                for (int i = 0; i < 25; i++) {
                    builds.add(NewBuild.builder(c).build());
                }
                List<UUID> ids = honua.buildQueue().enqueueAll(builds).stream().map(b -> b.id()).toList();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("completed")) < 25 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("completed"))).isEqualTo(25);
                assertThat(CountingHandler.ran).containsAll(ids);
                assertThat(honua.dsl().select(BUILD_QUEUE.WORKER_ID).from(BUILD_QUEUE).fetchSet(BUILD_QUEUE.WORKER_ID))
                        .containsExactly("spring-worker");

                // health endpoint: UP, schema version, backlog
                IndicatedHealthDescriptor health = (IndicatedHealthDescriptor) context.getBean(HealthEndpoint.class).healthForPath("honua");
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("schemaVersion", version).containsEntry("queued", 0L)
                        .containsEntry("building", 0L);
                honua.buildQueue().enqueue(NewBuild.builder(c).notBefore(java.time.Instant.now().plusSeconds(3600)).build());
                health = (IndicatedHealthDescriptor) context.getBean(HealthEndpoint.class).healthForPath("honua");
                assertThat(health.getDetails()).containsEntry("queued", 1L).containsEntry("ready", 0L);

                // meters: worker counters, queue timers, gauges
                MeterRegistry registry = context.getBean(MeterRegistry.class);
                assertThat(registry.get("honua.worker.builds").tags("worker", "spring-worker", "outcome", "completed")
                        .functionCounter().count()).isEqualTo(25);
                assertThat(registry.get("honua.queue.operation").tags("operation", "complete", "outcome", "success")
                        .timer().count()).isBetween(1L, 25L);   // completions are written in batches (one statement each)
                assertThat(registry.get("honua.queue.operation").tags("operation", "claim").timer().count()).isPositive();
                context.getBean(io.honua.db.micrometer.HonuaMeters.class).refresh();
                assertThat(registry.get("honua.queue.depth").tags("status", "queued").gauge().value()).isEqualTo(1);
            });
        }
    }

    @Test
    void migrationsCanBeSwitchedOff() {
        try (TestDatabase db = TestDatabase.empty("SpringNoMigrations")) {
            runner(db).withPropertyValues("honua.migrations.enabled=false").run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(HonuaSchemaMigration.class);
                assertThat(context).hasSingleBean(HonuaDb.class);
                assertThat(context).doesNotHaveBean(HonuaWorkers.class); // no BuildHandler bean
                try (var c = db.connect(); var s = c.createStatement();
                     var rs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("tables in the database").isZero();
                }
                IndicatedHealthDescriptor health = (IndicatedHealthDescriptor) context.getBean(HealthEndpoint.class).healthForPath("honua");
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(health.getDetails()).containsEntry("schemaVersion", "none");
            });
        }
    }

    /** A handler that takes a while: running builds are given the grace period on close. */
    @Configuration(proxyBeanMethods = false)
    static class SlowHandler {
        static final CountDownLatch started = new CountDownLatch(3);
        static final AtomicInteger finished = new AtomicInteger();

        @Bean
        BuildHandler slowHandler() {
            return (build, ctx) -> {
                started.countDown();
                Thread.sleep(1500);
                finished.incrementAndGet();
                return Completion.builder(Duration.ofMillis(1500)).build();
            };
        }
    }

    @Test
    void contextCloseLetsRunningBuildsFinishThenStopsTheWorker() throws Exception {
        try (TestDatabase db = TestDatabase.empty("SpringShutdown")) {
            runner(db).withUserConfiguration(SlowHandler.class).run(context -> {
                HonuaDb honua = context.getBean(HonuaDb.class);
                String c = customer(honua);
                honua.buildQueue().enqueueAll(List.of(NewBuild.builder(c).build(), NewBuild.builder(c).build(), NewBuild.builder(c).build()));
                assertThat(SlowHandler.started.await(30, TimeUnit.SECONDS)).isTrue();
                BuildWorker worker = context.getBean(HonuaWorkers.class).workers().getFirst();
                assertThat(worker.runningCount()).isEqualTo(3);
                context.close(); // the builds are 1.5 s long, the grace period 30 s: they finish
                assertThat(SlowHandler.finished.get()).isEqualTo(3);
                assertThat(worker.runningCount()).isZero();
                assertThat(worker.completedCount()).isEqualTo(3);
                Map<String, Integer> byStatus = statusCounts(db);
                assertThat(byStatus).containsExactly(Map.entry("completed", 3));
            });
        }
    }

    /** A handler that would run for a minute: past the grace period it is interrupted and the build released. */
    @Configuration(proxyBeanMethods = false)
    static class EndlessHandler {
        static final CountDownLatch started = new CountDownLatch(1);

        @Bean
        BuildHandler endlessHandler() {
            return (build, ctx) -> {
                started.countDown();
                Thread.sleep(60_000);
                return Completion.builder(Duration.ofMinutes(1)).build();
            };
        }
    }

    @Test
    void pastTheGracePeriodContextCloseReleasesRunningBuildsToTheQueue() throws Exception {
        try (TestDatabase db = TestDatabase.empty("SpringShutdownGrace")) {
            runner(db).withUserConfiguration(EndlessHandler.class).withPropertyValues("honua.worker.shutdown-grace=300ms").run(context -> {
                HonuaDb honua = context.getBean(HonuaDb.class);
                String c = customer(honua);
                honua.buildQueue().enqueue(NewBuild.builder(c).build());
                assertThat(EndlessHandler.started.await(30, TimeUnit.SECONDS)).isTrue();
                long t0 = System.nanoTime();
                context.close();
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
                // released, the attempt not counted: claimable again at once by the next instance
                assertThat(statusCounts(db)).containsExactly(Map.entry("queued", 1));
                try (var conn = db.connect(); var s = conn.createStatement();
                     var rs = s.executeQuery("SELECT attempts, worker_id FROM build_queue")) {
                    rs.next();
                    assertThat(rs.getInt(1)).isZero();
                    assertThat(rs.getString(2)).isNull();
                }
            });
        }
    }

    static Map<String, Integer> statusCounts(TestDatabase db) throws Exception {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        try (var conn = db.connect(); var s = conn.createStatement();
             var rs = s.executeQuery("SELECT status, count(*) FROM build_queue GROUP BY status")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getInt(2));
            }
        }
        return counts;
    }
}
