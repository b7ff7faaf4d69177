package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.schema.HonuaMigrations;
import io.honua.db.schema.MigrationReport;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A schema migration lands while workers claim and complete: Flyway applies a test-only V9999 (a new column on
 * {@code build_queue}, which changes the row type the queue functions return, and an index build, which blocks
 * writers while it runs). No deadlock, the migration succeeds, no error reaches a worker, nothing is lost.
 */
class QueueFaultMigrationTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(16).withNamedPool("listen", 4, config -> { });

    static HikariDataSource pool;
    static HikariDataSource listen;
    static HonuaDb honua;

    @BeforeAll
    static void setUp() {
        pool = fx.pool();
        listen = fx.pool("listen");
        honua = fx.honua();
    }

    static List<String> distinctMessages(List<Throwable> errors) {
        return errors.stream().map(e -> e.getClass().getSimpleName() + ": " + e.getMessage()).distinct().toList();
    }

    @Test
    void flywayMigratesWhileWorkersClaimAndNoWorkerSeesAnError() throws Exception {
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            customers.add(Fixtures.newCustomer(honua));
        }
        BuildQueue queue = honua.buildQueue();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Throwable> enqueueErrors = new CopyOnWriteArrayList<>();
        AtomicLong handled = new AtomicLong();
        AtomicBoolean stopProducing = new AtomicBoolean();
        AtomicLong enqueued = new AtomicLong();
        BuildHandler handler = (build, ctx) -> {
            Thread.sleep(2);
            handled.incrementAndGet();
            return Completion.builder(Duration.ofMillis(2)).exitCode(0).build();
        };
        MigrationReport report;
        try (BuildWorker a = BuildWorker.builder(queue, listen, "mig-a", handler).maxConcurrent(10).pollInterval(Duration.ofMillis(100))
                .errorListener(errors::add).start();
             BuildWorker b = BuildWorker.builder(queue, listen, "mig-b", handler).maxConcurrent(10).pollInterval(Duration.ofMillis(100))
                     .errorListener(errors::add).start()) {
            // own threads: the common pool may have a single thread on a small machine
            ExecutorService threads = Executors.newFixedThreadPool(2);
            CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
                int i = 0;
                while (!stopProducing.get()) {
                    List<NewBuild> batch = new ArrayList<>();
                    for (int k = 0; k < 20; k++) {
                        batch.add(NewBuild.builder(customers.get(i++ % customers.size())).build());
                    }
                    try {
                        queue.enqueueAll(batch);
                        enqueued.addAndGet(batch.size());
                    } catch (RuntimeException e) {
                        enqueueErrors.add(e); // the builds of a failed batch were not enqueued (one statement)
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, threads);
            Thread.sleep(2_000);
            long handledBefore = handled.get();
            report = CompletableFuture.supplyAsync(() -> HonuaMigrations.forDataSource(fx.db().dataSource(), HonuaMigrations.LOCATION,
                    "classpath:db/qfault-migration").migrate(), threads).get(120, TimeUnit.SECONDS);
            long handledAtMigration = handled.get();
            Thread.sleep(2_000);
            stopProducing.set(true);
            producer.get(30, TimeUnit.SECONDS);
            threads.shutdown();
            assertThat(handledBefore).as("workers were busy before the migration").isGreaterThan(0);
            assertThat(handled.get()).as("workers kept going after the migration").isGreaterThan(handledAtMigration);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (handled.get() < enqueued.get() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        System.out.printf("migration during work: %d builds enqueued, %d handled, %d worker errors %s, %d enqueue errors %s, applied %s%n",
                enqueued.get(), handled.get(), errors.size(), distinctMessages(errors), enqueueErrors.size(), distinctMessages(enqueueErrors),
                report.applied());
        assertThat(report.applied()).extracting(m -> m.version()).containsExactly("9999");
        assertThat(distinctMessages(errors)).as("errors that reached the workers").isEmpty();
        assertThat(distinctMessages(enqueueErrors)).as("errors that reached a service enqueueing during the migration").isEmpty();
        DSLContext dsl = honua.dsl();
        assertThat(dsl.fetchValue(DSL.field("(SELECT count(*) FROM information_schema.columns WHERE table_name = 'build_queue' "
                + "AND column_name = 'qfault_note')", Integer.class))).isEqualTo(1);
        assertThat(dsl.fetchCount(BUILD_QUEUE)).isEqualTo((int) enqueued.get());
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("completed"))).as("every build completed")
                .isEqualTo((int) enqueued.get());
        assertThat(handled.get()).isEqualTo(enqueued.get());
    }
}
