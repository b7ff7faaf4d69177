package io.honua.db.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.HonuaDb;
import io.honua.db.internal.Transactions;
import io.honua.db.queue.NewBuild;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SlowQueryListenerTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    static final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    static final Logger JUL = Logger.getLogger(SlowQueryListener.class.getName());
    static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void setUp() {
        JUL.addHandler(CAPTURE);
    }

    @AfterAll
    static void tearDown() {
        JUL.removeHandler(CAPTURE);
    }

    static String formatted(LogRecord r) {
        return java.text.MessageFormat.format(r.getMessage(), r.getParameters());
    }

    @Test
    void offByDefault() {
        assertThat(HonuaDb.create(fx.pool()).slowQueryListener()).isEmpty();
        assertThat(HonuaDb.builder(fx.pool()).build().slowQueryListener()).isEmpty();
        assertThat(HonuaDb.create(fx.pool()).dsl().configuration().executeListenerProviders()).isEmpty();
    }

    @Test
    void slowStatementsAreLoggedAndCountedFastOnesOnlyCounted() {
        HonuaDb honua = HonuaDb.builder(fx.pool()).slowQueryThreshold(Duration.ofMillis(150)).build();
        SlowQueryListener listener = honua.slowQueryListener().orElseThrow();
        assertThat(listener.threshold()).isEqualTo(Duration.ofMillis(150));
        logged.clear();

        for (int i = 0; i < 5; i++) {
            honua.dsl().selectOne().fetch();
        }
        QueryStats fast = listener.stats();
        assertThat(fast.statements()).isEqualTo(5);
        assertThat(fast.slowStatements()).isZero();
        assertThat(logged).isEmpty();

        honua.dsl().select(DSL.function("pg_sleep", Object.class, DSL.val(0.3))).fetch();
        QueryStats slow = listener.stats();
        assertThat(slow.statements()).isEqualTo(6);
        assertThat(slow.slowStatements()).isEqualTo(1);
        assertThat(slow.slowTime()).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(slow.totalTime()).isGreaterThanOrEqualTo(slow.slowTime());
        assertThat(logged).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
            assertThat(formatted(r)).contains("pg_sleep").contains("threshold 150 ms");
        });

        // statements inside library transactions are seen too (same listener on the transaction's connection)
        String c = Fixtures.customer(honua.dsl(), "slow-tx");
        long before = listener.stats().statements();
        Transactions.inTransaction(honua.dsl(), tx -> tx.select(DSL.function("pg_sleep", Object.class, DSL.val(0.2))).fetch());
        assertThat(listener.stats().statements()).isEqualTo(before + 1);
        assertThat(listener.stats().slowStatements()).isEqualTo(2);
        honua.buildQueue().enqueue(NewBuild.builder(c).build());
        assertThat(listener.stats().statements()).isGreaterThan(before + 1);
    }

    @Test
    void failedStatementsAreCountedAndOtherInstancesAreUnaffected() {
        HonuaDb a = HonuaDb.builder(fx.pool()).slowQueryThreshold(Duration.ZERO).build();
        HonuaDb b = HonuaDb.builder(fx.pool()).slowQueryThreshold(Duration.ofSeconds(10)).build();
        assertThatThrownBy(() -> a.dsl().select(DSL.field("1/0", Integer.class)).fetch())
                .isInstanceOf(org.jooq.exception.DataAccessException.class);
        assertThat(a.slowQueryListener().orElseThrow().stats().statements()).isEqualTo(1);
        assertThat(a.slowQueryListener().orElseThrow().stats().slowStatements()).isEqualTo(1);
        assertThat(b.slowQueryListener().orElseThrow().stats().statements()).isZero();
        assertThatThrownBy(() -> HonuaDb.builder(fx.pool()).slowQueryThreshold(Duration.ofMillis(-1)))
                .isInstanceOf(io.honua.db.core.InvalidRequestException.class);
    }

    @Test
    void constructorRefusesANegativeOrMissingThresholdAsAnInvalidRequest() {
        assertThatThrownBy(() -> new SlowQueryListener(Duration.ofMillis(-1)))
                .isInstanceOf(io.honua.db.core.InvalidRequestException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> new SlowQueryListener(null)).isInstanceOf(io.honua.db.core.InvalidRequestException.class);
        assertThat(new SlowQueryListener(Duration.ZERO).threshold()).isZero();
    }

    @Test
    void countersAreExactUnderManyThreads() throws Exception {
        HonuaDb honua = HonuaDb.builder(fx.pool()).slowQueryThreshold(Duration.ofSeconds(10)).build();
        SlowQueryListener listener = honua.slowQueryListener().orElseThrow();
        int threads = 8;
        int each = 200;
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    honua.dsl().selectOne().fetch();
                }
            });
            workers[t].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        assertThat(listener.stats().statements()).isEqualTo(threads * each);
        assertThat(listener.stats().slowStatements()).isZero();
    }
}
