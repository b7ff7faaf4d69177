package io.honua.db.analytics;

import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.CACHE_ACCESS_DAILY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.licensing.QuotaUsage;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.Completion;
import io.honua.db.queue.NewBuild;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.Record3;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class AnalyticsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(10);

    static final String HASH = Fixtures.sha256("m");

    static Analytics analytics;
    static BuildQueue queue;

    @BeforeAll
    static void setUp() {
        analytics = fx.honua().analytics();
        queue = fx.honua().buildQueue();
    }

    @BeforeEach
    void emptyQueue() {
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
    }

    static void access(DSLContext dsl, String customer, Instant at, int hits, int misses) {
        var insert = dsl.insertInto(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID, BUILD_ACCESS_LOG.MANIFEST_HASH,
                BUILD_ACCESS_LOG.TIER, BUILD_ACCESS_LOG.ACCESS_TYPE, BUILD_ACCESS_LOG.ACCESSED_AT);
        for (int i = 0; i < hits + misses; i++) {
            insert = insert.values(customer, HASH, "free", i < hits ? "hit" : "miss", at);
        }
        insert.execute();
    }

    /** Hits and misses per (customer, UTC day) straight from the raw log. */
    static Map<String, List<Long>> rawByDay(DSLContext dsl, String customer) {
        var day = DSL.field("({0} at time zone 'UTC')::date", LocalDate.class, BUILD_ACCESS_LOG.ACCESSED_AT);
        return dsl.select(day, DSL.count().filterWhere(BUILD_ACCESS_LOG.ACCESS_TYPE.eq("hit")),
                        DSL.count().filterWhere(BUILD_ACCESS_LOG.ACCESS_TYPE.eq("miss")))
                .from(BUILD_ACCESS_LOG).where(BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customer)).groupBy(day).fetch()
                .stream().collect(Collectors.toMap(r -> r.value1().toString(), r -> List.of((long) r.value2(), (long) r.value3())));
    }

    static Map<String, List<Long>> rollupByDay(DSLContext dsl, String customer) {
        return dsl.selectFrom(CACHE_ACCESS_DAILY).where(CACHE_ACCESS_DAILY.CUSTOMER_ID.eq(customer)).fetch().stream()
                .collect(Collectors.toMap(r -> r.getDay().toString(), r -> List.of(r.getHits(), r.getMisses())));
    }

    @Test
    void hitRateCountsWholeUtcDaysFromTheRollup() {
        String c = Fixtures.newCustomer(fx.honua());
        Instant today = LocalDate.now(ZoneOffset.UTC).atStartOfDay(ZoneOffset.UTC).toInstant();
        access(fx.dsl(), c, today.plusSeconds(1), 3, 1);                             // today
        access(fx.dsl(), c, today.minus(6, ChronoUnit.DAYS), 1, 1);                  // 7th day back: inside 7 days
        access(fx.dsl(), c, today.minus(7, ChronoUnit.DAYS).plusSeconds(86399), 0, 5); // 8th day: outside 7 days

        CacheHitRate week = analytics.cacheHitRate(c, 7).orElseThrow();
        assertThat(week).isEqualTo(new CacheHitRate(c, 6, 4, 2, new BigDecimal("0.6667")));
        CacheHitRate today1 = analytics.cacheHitRate(c, 1).orElseThrow();
        assertThat(today1.totalAccesses()).isEqualTo(4);
        assertThat(today1.hitRate()).isEqualByComparingTo("0.75");
        assertThat(analytics.cacheHitRate(c, 8).orElseThrow().misses()).isEqualTo(7);
        assertThat(analytics.cacheHitRate("nobody", 30)).isEmpty();
        assertThat(analytics.cacheHitRates(7)).extracting(CacheHitRate::customerId).contains(c).isSorted();
        assertThat(rollupByDay(fx.dsl(), c)).isEqualTo(rawByDay(fx.dsl(), c));
    }

    @Test
    void rollupStaysExactUnderEightConcurrentWriters() throws Exception {
        List<String> customers = List.of(Fixtures.newCustomer(fx.honua()), Fixtures.newCustomer(fx.honua()), Fixtures.newCustomer(fx.honua()));
        Instant today = Instant.now();
        ExecutorService exec = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                writers.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 60; i++) {
                        // batches spanning several customers and days, in varying order: the upsert must not deadlock
                        List<String> order = new ArrayList<>(customers);
                        java.util.Collections.rotate(order, seed + i);
                        var insert = fx.dsl().insertInto(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID,
                                BUILD_ACCESS_LOG.MANIFEST_HASH, BUILD_ACCESS_LOG.TIER, BUILD_ACCESS_LOG.ACCESS_TYPE,
                                BUILD_ACCESS_LOG.ACCESSED_AT);
                        for (int k = 0; k < 6; k++) {
                            insert = insert.values(order.get(k % 3), HASH, "free", (seed + i + k) % 3 == 0 ? "miss" : "hit",
                                    today.minus((i + k) % 4, ChronoUnit.DAYS));
                        }
                        insert.execute();
                    }
                }, exec));
            }
            for (CompletableFuture<Void> w : writers) {
                w.get(120, TimeUnit.SECONDS);
            }
        } finally {
            exec.shutdownNow();
        }
        long total = 0;
        for (String c : customers) {
            assertThat(rollupByDay(fx.dsl(), c)).isEqualTo(rawByDay(fx.dsl(), c));
            total += analytics.cacheHitRate(c, 10).orElseThrow().totalAccesses();
        }
        assertThat(total).isEqualTo(8 * 60 * 6);
    }

    @Test
    void licenseQuotaUsageCountsBuildsRunningBuildsAndRegistries() {
        String c = Fixtures.newCustomer(fx.honua());
        assertThat(analytics.licenseQuotaUsage(c)).as("no license yet").isEmpty();
        Fixtures.license(fx.dsl(), c, 3);
        for (int i = 0; i < 4; i++) {
            queue.enqueue(NewBuild.builder(c).build());
        }
        assertThat(queue.claim("w1", 2)).hasSize(2);

        QuotaUsage usage = analytics.licenseQuotaUsage(c).orElseThrow();
        assertThat(usage).isEqualTo(new QuotaUsage(c, Tier.PROFESSIONAL, 100_000, 4, 3, 2, 10, 0));
        assertThat(usage.monthlyBuildShare()).isEqualTo(4 / 100_000.0);
    }

    @Test
    void buildPerformanceAndCustomerUsageReportFinishedBuilds() {
        String c = Fixtures.newCustomer(fx.honua());
        String other = Fixtures.newCustomer(fx.honua());
        List<Build> builds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            builds.add(queue.enqueue(NewBuild.builder(c).maxAttempts(1).build()));
        }
        queue.enqueue(NewBuild.builder(other).build());
        queue.claim("w", 10);
        queue.complete(builds.get(0).id(), "w", Completion.builder(Duration.ofMillis(1000)).cpuSeconds(new BigDecimal("2.5"))
                .peakMemoryBytes(100).build());
        queue.complete(builds.get(1).id(), "w", Completion.builder(Duration.ofMillis(3000)).cpuSeconds(new BigDecimal("1.5"))
                .peakMemoryBytes(300).build());
        assertThat(queue.fail(builds.get(2).id(), "w", "boom").willRetry()).isFalse();

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(analytics.buildPerformance(today.minusDays(3), today.plusDays(1))).singleElement().satisfies(d -> {
            assertThat(d.day()).isEqualTo(today);
            assertThat(d.totalBuilds()).isEqualTo(3);
            assertThat(d.succeeded()).isEqualTo(2);
            assertThat(d.failed()).isEqualTo(1);
            assertThat(d.avgDurationMs()).contains(2000L);
            assertThat(d.avgCpuSeconds().orElseThrow()).isEqualByComparingTo("2.0");
            assertThat(d.maxPeakMemoryBytes()).contains(300L);
            assertThat(d.p95DurationMs().orElseThrow()).isBetween(1000.0, 3000.0);
        });
        assertThat(analytics.buildPerformance(today.minusDays(10), today.minusDays(1))).isEmpty();
        // same figures as the seed's view (in a UTC session, where the view's days are UTC days too)
        var viewRows = io.honua.db.internal.Transactions.inTransaction(fx.dsl(), tx -> {
            tx.select(DSL.function("set_config", String.class, DSL.val("TimeZone"), DSL.val("UTC"), DSL.inline(true))).fetch();
            var v = io.honua.db.schema.generated.Tables.BUILD_PERFORMANCE_SUMMARY;
            return tx.selectFrom(v).where(v.DAY.between(today.minusDays(3), today.plusDays(1))).orderBy(v.DAY)
                    .fetch(r -> List.of(r.getDay(), r.getTotalBuilds(), r.getSucceeded(), r.getFailed(), r.getAvgDurationMs(),
                            r.getP95DurationMs(), r.getAvgCpuSeconds(), r.getMaxPeakMemoryBytes()));
        });
        assertThat(analytics.buildPerformance(today.minusDays(3), today.plusDays(1))).extracting(d -> List.of(d.day(),
                        d.totalBuilds(), d.succeeded(), d.failed(), d.avgDurationMs().orElseThrow(), d.p95DurationMs().orElseThrow(),
                        d.avgCpuSeconds().orElseThrow(), d.maxPeakMemoryBytes().orElseThrow()))
                .isEqualTo(viewRows);

        CustomerBuildUsage u = analytics.customerBuildUsage(c).orElseThrow();
        assertThat(u.totalBuilds()).isEqualTo(3);
        assertThat(u.buildsThisMonth()).isEqualTo(3);
        assertThat(u.succeeded()).isEqualTo(2);
        assertThat(u.failed()).isEqualTo(1);
        assertThat(u.successRate().orElseThrow()).isEqualByComparingTo("0.6667");
        assertThat(u.avgDurationMs()).contains(2000L);
        assertThat(u.lastBuildAt()).isPresent();
        assertThat(analytics.customerBuildUsage(other).orElseThrow().successRate()).isEmpty();
        assertThat(analytics.customerBuildUsage("nobody")).isEmpty();
        assertThat(analytics.customerBuildUsage()).extracting(CustomerBuildUsage::customerId).contains(c, other).isSorted();
    }

    @Test
    void queueDepthIsOneConsistentSnapshot() {
        assertThat(analytics.queueDepth()).isEqualTo(new QueueDepth(0, 0, 0, java.util.Optional.empty()));
        String c = Fixtures.newCustomer(fx.honua());
        for (int i = 0; i < 3; i++) {
            queue.enqueue(NewBuild.builder(c).build());
        }
        queue.enqueue(NewBuild.builder(c).notBefore(Instant.now().plus(1, ChronoUnit.HOURS)).build());
        queue.claim("w", 1);
        QueueDepth depth = analytics.queueDepth();
        assertThat(depth.queued()).isEqualTo(3);
        assertThat(depth.ready()).isEqualTo(2);
        assertThat(depth.building()).isEqualTo(1);
        assertThat(depth.oldestQueuedAge().orElseThrow()).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(Duration.ofMinutes(5));
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> analytics.cacheHitRate("c", 0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> analytics.cacheHitRate("c", Analytics.MAX_DAYS + 1)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> analytics.cacheHitRate(null, 7)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> analytics.cacheHitRate(" ", 7)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> analytics.cacheHitRates(-1)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> analytics.licenseQuotaUsage("")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> analytics.customerBuildUsage(null)).isInstanceOf(InvalidRequestException.class);
        LocalDate d = LocalDate.now();
        assertThatThrownBy(() -> analytics.buildPerformance(d, d.minusDays(1))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> analytics.buildPerformance(null, d)).isInstanceOf(InvalidRequestException.class);
    }
}
