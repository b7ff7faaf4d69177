package io.honua.db.cache;

import static io.honua.db.cache.CacheFixtures.customerWithTier;
import static io.honua.db.cache.CacheFixtures.hash;
import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.BUILD_CACHE_REGISTRY;
import static io.honua.db.schema.generated.Tables.CACHE_ACCESS_BATCHES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CacheAccessRecorderTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(10);

    final BuildCache cache = fx.honua().buildCache();

    private static long logRowsOf(List<String> customers) {
        return fx.dsl().fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.in(customers));
    }

    @Test
    void eightProducersRecordExactlyTheAcceptedEvents() throws Exception {
        int producers = 8;
        int perProducer = 6_000;
        List<String> customers = new ArrayList<>();
        for (int i = 0; i < producers; i++) {
            customers.add(customerWithTier(fx.honua(), Tier.PROFESSIONAL));
        }
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String h = hash();
            cache.register(NewCacheEntry.of(customers.get(0), h, Tier.STANDARD, "img:" + i, "sha256:" + i));
            hashes.add(h);
        }
        // small buffer and batches: producers outrun the writer, so some record() calls are refused (not accepted)
        RecorderOptions options = RecorderOptions.DEFAULTS.withCapacity(2_000).withBatchSize(250);
        ConcurrentHashMap<String, AtomicLong> acceptedHits = new ConcurrentHashMap<>();
        AtomicLong acceptedMisses = new AtomicLong();
        AtomicLong acceptedByProducers = new AtomicLong();
        AtomicLong refusedByProducers = new AtomicLong();
        CacheAccessRecorder recorder = cache.recorder(options);
        try {
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService exec = Executors.newFixedThreadPool(producers);
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                String customer = customers.get(p);
                int seed = p;
                done.add(exec.submit(() -> {
                    start.await();
                    for (int i = 0; i < perProducer; i++) {
                        boolean hit = (i + seed) % 3 != 0;
                        String h = hit ? hashes.get((i + seed) % hashes.size()) : hash();
                        AccessEvent e = AccessEvent.now(customer, h, Tier.STANDARD, hit);
                        // every 4th event waits for room, the others give up at once when the buffer is full
                        boolean accepted = i % 4 == 0 ? recorder.record(e, Duration.ofSeconds(30)) : recorder.record(e);
                        if (accepted) {
                            acceptedByProducers.incrementAndGet();
                            if (hit) {
                                acceptedHits.computeIfAbsent(h, k -> new AtomicLong()).incrementAndGet();
                            } else {
                                acceptedMisses.incrementAndGet();
                            }
                        } else {
                            refusedByProducers.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            exec.shutdown();
        } finally {
            recorder.close();
        }
        RecorderReport report = recorder.report();
        assertThat(report.accepted()).isEqualTo(acceptedByProducers.get());
        assertThat(report.refused()).isEqualTo(refusedByProducers.get());
        assertThat(report.written()).isEqualTo(report.accepted());
        assertThat(report.failed()).isZero();
        assertThat(report.pending()).isZero();
        assertThat(report.unwritten()).isEmpty();
        assertThat(acceptedByProducers.get() + refusedByProducers.get()).isEqualTo((long) producers * perProducer);
        assertThat(logRowsOf(customers)).as("rows in build_access_log").isEqualTo(acceptedByProducers.get());
        assertThat(fx.dsl().fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.in(customers)
                .and(BUILD_ACCESS_LOG.ACCESS_TYPE.eq("miss")))).isEqualTo(acceptedMisses.get());
        for (String h : hashes) {
            long expected = acceptedHits.getOrDefault(h, new AtomicLong()).get();
            assertThat(fx.dsl().fetchValue(BUILD_CACHE_REGISTRY.HIT_COUNT, BUILD_CACHE_REGISTRY.MANIFEST_HASH.eq(h)))
                    .as("hit count of %s", h).isEqualTo(expected);
            assertThat(fx.dsl().fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.MANIFEST_HASH.eq(h)
                    .and(BUILD_ACCESS_LOG.ACCESS_TYPE.eq("hit")))).isEqualTo(expected);
        }
    }

    @Test
    void closeFlushesEverythingBuffered() {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        int n = 20_000;
        CacheAccessRecorder recorder = cache.recorder(RecorderOptions.DEFAULTS.withCapacity(n));
        for (int i = 0; i < n; i++) {
            assertThat(recorder.record(c, hash(), Tier.FREE, false)).isTrue();
        }
        recorder.close();
        RecorderReport report = recorder.report();
        assertThat(report.accepted()).isEqualTo(n);
        assertThat(report.written()).isEqualTo(n);
        assertThat(logRowsOf(List.of(c))).isEqualTo(n);
        recorder.close(); // idempotent
        assertThat(recorder.report()).isEqualTo(report);
        assertThatThrownBy(() -> recorder.record(c, hash(), Tier.FREE, true)).isInstanceOf(RecorderClosedException.class);
        assertThat(logRowsOf(List.of(c))).isEqualTo(n);
    }

    @Test
    void aFullBufferRefusesInsteadOfGrowingAndNothingAcceptedIsLost() throws Exception {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        // a competing transaction holds the log table locked, so the writer cannot drain the buffer
        try (Connection blocker = DriverManager.getConnection(fx.db().jdbcUrl(), fx.db().user(), fx.db().password())) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("LOCK TABLE build_access_log IN EXCLUSIVE MODE");
            }
            CacheAccessRecorder recorder = cache.recorder(RecorderOptions.DEFAULTS.withCapacity(100).withBatchSize(10));
            // one event first: the writer takes it and blocks on the lock, so the buffer is then exactly free
            assertThat(recorder.record(c, hash(), Tier.FREE, false)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (fx.dsl().fetchCount(org.jooq.impl.DSL.table("pg_stat_activity"), org.jooq.impl.DSL.field("datname")
                    .eq(org.jooq.impl.DSL.field("current_database()")).and(org.jooq.impl.DSL.field("wait_event_type").eq("Lock"))) == 0) {
                assertThat(System.nanoTime()).as("writer blocked on the lock").isLessThan(deadline);
                Thread.sleep(10);
            }
            int accepted = 1;
            int refused = 0;
            for (int i = 0; i < 300; i++) {
                if (recorder.record(c, hash(), Tier.FREE, false)) {
                    accepted++;
                } else {
                    refused++;
                }
            }
            assertThat(accepted).as("the one being written + a full buffer").isEqualTo(101);
            assertThat(refused).isEqualTo(200);
            assertThat(recorder.record(AccessEvent.now(c, hash(), Tier.FREE, false), Duration.ofMillis(50))).isFalse();
            assertThat(recorder.report().accepted()).isEqualTo(101);
            assertThat(recorder.report().refused()).isEqualTo(201);
            assertThat(recorder.report().pending()).isEqualTo(101);
            assertThat(logRowsOf(List.of(c))).isZero();
            blocker.rollback();
            recorder.close();
            assertThat(recorder.report().written()).isEqualTo(accepted);
            assertThat(logRowsOf(List.of(c))).isEqualTo(accepted);
        }
    }

    @Test
    void eventsOfUnknownCustomersAreReportedExactlyAndTheRestIsWritten() {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        CacheAccessRecorder recorder = cache.recorder(RecorderOptions.DEFAULTS.withBatchSize(50));
        List<AccessEvent> ghosts = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            if (i % 50 == 7) {
                AccessEvent ghost = AccessEvent.now("ghost-" + i, hash(), Tier.FREE, false);
                ghosts.add(ghost);
                assertThat(recorder.record(ghost)).isTrue();
            } else {
                assertThat(recorder.record(c, hash(), Tier.FREE, false)).isTrue();
            }
        }
        recorder.close();
        RecorderReport report = recorder.report();
        assertThat(report.accepted()).isEqualTo(500);
        assertThat(report.written()).isEqualTo(500 - ghosts.size());
        assertThat(report.failed()).isEqualTo(ghosts.size());
        assertThat(report.unwritten()).extracting(UnwrittenEvent::event).containsExactlyInAnyOrderElementsOf(ghosts);
        assertThat(report.unwritten()).allMatch(u -> u.reason() == UnwrittenEvent.Reason.UNKNOWN_CUSTOMER);
        assertThat(logRowsOf(List.of(c))).isEqualTo(500 - ghosts.size());
        assertThat(recorder.takeUnwritten()).hasSize(ghosts.size());
        assertThat(recorder.takeUnwritten()).isEmpty();
        assertThat(recorder.report().unwritten()).as("the final report keeps its list").hasSize(ghosts.size());
    }

    @Test
    void flushWaitsUntilEverythingAcceptedSoFarIsWritten() {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        CacheAccessRecorder recorder = cache.recorder(RecorderOptions.DEFAULTS.withBatchSize(100));
        try {
            for (int round = 1; round <= 5; round++) {
                for (int i = 0; i < 1_000; i++) {
                    assertThat(recorder.record(c, hash(), Tier.FREE, false)).isTrue();
                }
                assertThat(recorder.flush(Duration.ofSeconds(30))).isTrue();
                assertThat(logRowsOf(List.of(c))).isEqualTo(round * 1_000L);
                assertThat(recorder.report().pending()).isZero();
            }
        } finally {
            recorder.close();
        }
    }

    @Test
    void aBurstWithinTheLingerIsOneBatchAndFlushEndsTheLinger() {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        java.time.Instant start = fx.dsl().select(org.jooq.impl.DSL.currentInstant()).fetchSingle().value1();
        // the writer wakes on the first event; without the linger it would write it (nearly) alone
        CacheAccessRecorder recorder = cache.recorder(RecorderOptions.DEFAULTS.withBatchSize(1_000).withLinger(Duration.ofSeconds(1)));
        try {
            for (int i = 0; i < 700; i++) {
                assertThat(recorder.record(c, hash(), Tier.FREE, false)).isTrue();
            }
            assertThat(recorder.flush(Duration.ofSeconds(30))).isTrue();
            assertThat(logRowsOf(List.of(c))).isEqualTo(700);
            List<Integer> batches = fx.dsl().select(CACHE_ACCESS_BATCHES.EVENT_COUNT).from(CACHE_ACCESS_BATCHES)
                    .where(CACHE_ACCESS_BATCHES.WRITTEN_AT.ge(start)).fetch(CACHE_ACCESS_BATCHES.EVENT_COUNT);
            assertThat(batches).contains(700);
        } finally {
            recorder.close();
        }
    }

    @Test
    void flushGivesUpWhileTheDatabaseCannotTakeTheBatch() throws Exception {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        CacheAccessRecorder recorder = cache.recorder(RecorderOptions.DEFAULTS);
        try (Connection blocker = DriverManager.getConnection(fx.db().jdbcUrl(), fx.db().user(), fx.db().password())) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("LOCK TABLE build_access_log IN EXCLUSIVE MODE");
            }
            assertThat(recorder.record(c, hash(), Tier.FREE, false)).isTrue();
            assertThat(recorder.flush(Duration.ofMillis(300))).isFalse();
            assertThat(logRowsOf(List.of(c))).isZero();
            blocker.rollback();
            assertThat(recorder.flush(Duration.ofSeconds(30))).isTrue();
            assertThat(logRowsOf(List.of(c))).isEqualTo(1);
        } finally {
            recorder.close();
        }
    }

    @Test
    void badOptionsAndEventsAreRefused() {
        assertThatThrownBy(() -> RecorderOptions.DEFAULTS.withCapacity(0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> RecorderOptions.DEFAULTS.withBatchSize(10_001)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> RecorderOptions.DEFAULTS.withRetryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> RecorderOptions.DEFAULTS.withLinger(Duration.ofMillis(-1))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> RecorderOptions.DEFAULTS.withLinger(Duration.ofMillis(1_001))).isInstanceOf(InvalidRequestException.class);
        assertThat(RecorderOptions.DEFAULTS.withLinger(Duration.ZERO).linger()).isZero();
        assertThatThrownBy(() -> cache.recorder(null)).isInstanceOf(InvalidRequestException.class);
        CacheAccessRecorder recorder = cache.recorder(RecorderOptions.DEFAULTS);
        try {
            assertThatThrownBy(() -> recorder.record(null)).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> recorder.record("c", "nothex", Tier.FREE, true)).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> recorder.record(AccessEvent.now("c", hash(), Tier.FREE, true), Duration.ofSeconds(-1)))
                    .isInstanceOf(InvalidRequestException.class);
        } finally {
            recorder.close();
        }
        assertThat(recorder.report().accepted()).isZero();
    }
}
