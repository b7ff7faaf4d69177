package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.internal.DelegatingDataSource;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pool exhaustion: every connection of a tiny Hikari pool is held by someone else. A claim must fail with
 * {@link PoolExhaustedException} (not a raw driver/jOOQ one) and change nothing; a {@link BuildWorker} must back off instead of spinning
 * on the pool, and resume by itself when connections come back. Attempts are counted by a DataSource wrapper (every
 * statement of the queue asks it for a connection).
 */
class QueueFaultPoolTest {

    static final int POOL = 2;
    static final long CONNECTION_TIMEOUT_MS = 250; // Hikari's minimum

    /** The tiny pool under test and an admin pool of 4 for the set-up, the checks and the worker's LISTEN connection. */
    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4).withNamedPool("tiny", POOL, config -> {
        config.setMinimumIdle(POOL);
        config.setConnectionTimeout(CONNECTION_TIMEOUT_MS);
    });

    static HikariDataSource tiny;
    static CountingDataSource counting;
    static HikariDataSource admin;
    static HonuaDb honua;

    @BeforeAll
    static void setUp() {
        tiny = fx.pool("tiny");
        counting = new CountingDataSource(tiny);
        admin = fx.pool();
        honua = fx.honua();
    }

    static BuildQueue tinyQueue() {
        return new BuildQueue(DSL.using(counting, SQLDialect.POSTGRES), QueueOptions.DEFAULTS);
    }

    static List<Connection> holdAll() throws SQLException {
        List<Connection> held = new ArrayList<>();
        for (int i = 0; i < POOL; i++) {
            held.add(tiny.getConnection());
        }
        return held;
    }

    static void releaseAll(List<Connection> held) throws SQLException {
        for (Connection c : held) {
            c.close();
        }
    }

    @Test
    void claimOnAnExhaustedPoolFailsWithPoolExhaustedExceptionAndChangesNothing() throws Exception {
        String c = Fixtures.newCustomer(honua);
        Build b = honua.buildQueue().enqueue(NewBuild.builder(c).build());
        BuildQueue queue = tinyQueue();
        List<Connection> held = holdAll();
        Throwable thrown;
        try {
            thrown = catchThrowable(() -> queue.claim("starved", 5));
        } finally {
            releaseAll(held);
        }
        assertThat(thrown).as("a typed exception, not a raw jOOQ/driver one").isInstanceOf(PoolExhaustedException.class);
        assertThat(thrown).hasRootCauseInstanceOf(SQLTransientConnectionException.class);
        assertThat(thrown.getMessage()).as("says what happened").containsIgnoringCase("connection");
        assertThat(honua.buildQueue().find(b.id()).orElseThrow().status()).isEqualTo(BuildStatus.QUEUED);
        assertThat(honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq("building"))).isZero();
        // and the pool works again once connections are back
        assertThat(queue.claim("fed", 5)).extracting(Build::id).containsExactly(b.id());
        queue.complete(b.id(), "fed", Completion.builder(Duration.ofMillis(1)).build());
    }

    @Test
    void aWorkerBacksOffWhileThePoolIsExhaustedAndResumesAfterwards() throws Exception {
        String c = Fixtures.newCustomer(honua);
        BuildQueue queue = tinyQueue();
        Duration poll = Duration.ofMillis(20);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicLong handled = new AtomicLong();
        List<Connection> held = holdAll();
        long windowMillis = 4_000;
        long attempts;
        // the wake-up LISTEN connection comes from the admin pool: only the queue's statements compete for the tiny pool
        try (BuildWorker worker = BuildWorker.builder(queue, admin, "pool-starved", (build, ctx) -> {
                    handled.incrementAndGet();
                    return Completion.builder(Duration.ofMillis(1)).build();
                }).pollInterval(poll).errorListener(errors::add).shutdownGrace(Duration.ofSeconds(5)).start()) {
            long before = counting.requests();
            Thread.sleep(windowMillis);
            attempts = counting.requests() - before;
            releaseAll(held);
            held = List.of();
            honua.buildQueue().enqueue(NewBuild.builder(c).build());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (handled.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(handled.get()).as("the worker resumed by itself once connections were free").isEqualTo(1);
        } finally {
            releaseAll(held);
        }
        // A worker that retried after every poll interval would ask about window / (timeout + poll) = 14 times.
        long spinning = windowMillis / (CONNECTION_TIMEOUT_MS + poll.toMillis());
        System.out.printf("pool exhausted for %d ms: %d connection requests by the worker (a spinning loop: ~%d), %d errors reported%n",
                windowMillis, attempts, spinning, errors.size());
        assertThat(attempts).as("connection requests during the exhaustion window").isGreaterThan(0);
        assertThat(attempts).as("backing off: far fewer requests than a loop retrying every poll interval").isLessThanOrEqualTo(spinning / 2);
        assertThat(errors).as("the exhaustion reached the error listener").isNotEmpty();
        assertThat(errors).allSatisfy(e -> assertThat(e).isInstanceOf(PoolExhaustedException.class));
        assertThat(honua.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c).and(BUILD_QUEUE.STATUS.eq("completed")))).isEqualTo(1);
    }

    /** Counts connection requests (failed ones too), passes everything through. */
    static final class CountingDataSource extends DelegatingDataSource {
        private final AtomicLong requests = new AtomicLong();

        CountingDataSource(DataSource delegate) {
            super(delegate);
        }

        long requests() {
            return requests.get();
        }

        @Override
        public Connection getConnection() throws SQLException {
            requests.incrementAndGet();
            return super.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            requests.incrementAndGet();
            return super.getConnection(username, password);
        }
    }
}
