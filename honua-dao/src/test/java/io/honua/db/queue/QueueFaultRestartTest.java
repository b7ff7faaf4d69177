package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_EVENTS;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.schema.HonuaMigrations;
import io.honua.db.testing.Fixtures;
import io.honua.db.testkit.PostgresProvisioning;
import io.honua.db.testkit.PostgresServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The database server restarts ({@code pg_ctl restart -m fast}: every connection terminated, in-flight transactions
 * rolled back) while two {@link BuildWorker}s run. The workers are not restarted: they must carry on by themselves once
 * the server is back, and every build must end completed exactly once. Runs on a private embedded server (the test kit's
 * {@link PostgresServer#restart()}); the shared server of the other tests is never touched. That is why it does not use
 * {@code HonuaFixture}, whose database lives on the shared server: its pools take {@link Fixtures#poolConfig}'s
 * settings all the same.
 */
class QueueFaultRestartTest {

    static final int TOTAL = 3_000;

    static PostgresServer server;
    static HikariDataSource pool;
    static HikariDataSource listen;
    static DSLContext dsl;

    @BeforeAll
    static void setUp() {
        server = PostgresProvisioning.startEmbedded();
        server.createDatabase("qfault_restart", Optional.empty());
        pool = pool("restart-workers", 16);
        listen = pool("restart-listen", 4);
        HonuaMigrations.forDataSource(pool).migrate();
        dsl = DSL.using(pool, SQLDialect.POSTGRES);
    }

    static HikariDataSource pool(String name, int size) {
        HikariConfig config = Fixtures.poolConfig(server.jdbcUrl("qfault_restart"), server.user(), server.password(), size, name);
        config.setConnectionTimeout(5_000);
        return new HikariDataSource(config);
    }

    @AfterAll
    static void tearDown() {
        if (pool != null) {
            pool.close();
            listen.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void workersCarryOnAfterTheServerRestartsAndNothingIsLost() throws Exception {
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String id = "restart-" + i;
            dsl.insertInto(CUSTOMERS).set(CUSTOMERS.CUSTOMER_ID, id).set(CUSTOMERS.NAME, id)
                    .set(CUSTOMERS.SUBSCRIPTION_STATUS, "active").set(CUSTOMERS.TIER, "professional").execute();
            customers.add(id);
        }
        // short leases: builds whose completion died with the server come back quickly through recoverExpiredLeases
        BuildQueue queue = new BuildQueue(dsl, QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(3)));
        for (int batch = 0; batch < TOTAL / 500; batch++) {
            List<NewBuild> builds = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                builds.add(NewBuild.builder(customers.get(i % customers.size())).maxAttempts(20).build());
            }
            queue.enqueueAll(builds);
        }
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicLong handled = new AtomicLong();
        BuildHandler handler = (build, ctx) -> {
            Thread.sleep(5);
            handled.incrementAndGet();
            return Completion.builder(Duration.ofMillis(5)).exitCode(0).build();
        };
        AtomicBoolean stop = new AtomicBoolean();
        Thread recoverer = Thread.ofPlatform().name("restart-recoverer").start(() -> {
            while (!stop.get()) {
                try {
                    Thread.sleep(500);
                    queue.recoverExpiredLeases();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // the server is down for a moment: try again
                }
            }
        });
        long handledBeforeRestart;
        long handledAfterRestart;
        long completedAfterWait;
        try (BuildWorker a = BuildWorker.builder(queue, listen, "restart-a", handler).maxConcurrent(8).pollInterval(Duration.ofMillis(200))
                .errorListener(errors::add).start();
             BuildWorker b = BuildWorker.builder(queue, listen, "restart-b", handler).maxConcurrent(8).pollInterval(Duration.ofMillis(200))
                     .errorListener(errors::add).start()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (handled.get() < TOTAL / 5 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            handledBeforeRestart = handled.get();
            assertThat(handledBeforeRestart).as("workers busy before the restart").isGreaterThan(0).isLessThan(TOTAL);
            server.restart();
            handledAfterRestart = handled.get();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            completedAfterWait = 0;
            while (System.nanoTime() < deadline) {
                try {
                    completedAfterWait = dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("completed"));
                } catch (RuntimeException e) {
                    // the pool may still be reconnecting
                }
                if (completedAfterWait == TOTAL) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(a.completedCount() + b.completedCount()).as("completions the workers saw acknowledged").isLessThanOrEqualTo(TOTAL);
        } finally {
            stop.set(true);
            recoverer.interrupt();
            recoverer.join(10_000);
        }
        System.out.printf("restart: %d builds, handled %d before the restart, %d while it ran, %d in all; %d errors reached the "
                + "listeners (%s)%n", TOTAL, handledBeforeRestart, handledAfterRestart - handledBeforeRestart, handled.get(), errors.size(),
                errors.stream().map(e -> e.getClass().getSimpleName()).distinct().toList());
        assertThat(completedAfterWait).as("builds completed after the restart, without restarting the workers").isEqualTo(TOTAL);
        assertThat(handled.get()).as("handlers ran after the restart").isGreaterThan(handledAfterRestart);
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.ne("completed"))).isZero();
        assertThat(dsl.fetchCount(BUILD_RESULTS)).as("one result per build").isEqualTo(TOTAL);
        assertThat(dsl.fetchCount(dsl.select(BUILD_EVENTS.BUILD_ID).from(BUILD_EVENTS).where(BUILD_EVENTS.EVENT_TYPE.eq("completed"))
                .groupBy(BUILD_EVENTS.BUILD_ID).having(DSL.count().eq(1)))).as("builds with exactly one completion event").isEqualTo(TOTAL);
        assertThat(dsl.fetchCount(BUILD_EVENTS, BUILD_EVENTS.EVENT_TYPE.eq("completed"))).isEqualTo(TOTAL);
    }
}
