package io.honua.db.partitions;

import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.BUILD_CACHE_REGISTRY;
import static io.honua.db.schema.generated.Tables.BUILD_EVENTS;
import static io.honua.db.schema.generated.Tables.CACHE_ACCESS_DAILY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.NotFoundException;
import io.honua.db.queue.NewBuild;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Period;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PartitionMaintenanceTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(10);

    static final String HASH = Fixtures.sha256("manifest");

    static PartitionMaintenance partitions;

    @BeforeAll
    static void setUp() {
        partitions = fx.honua().partitions();
    }

    @AfterEach
    void seededPolicies() {
        partitions.setRetention("build_access_log", Period.ofDays(90), RetentionAction.DROP);
        partitions.setRetention("build_events", Period.ofMonths(12), RetentionAction.DROP);
        partitions.setRetention("build_metrics", Period.ofDays(30), RetentionAction.DROP);
        partitions.keepForever("conversation_messages");
        partitions.setPremake("build_access_log", 2);
        partitions.setPremake("build_events", 2);
        partitions.setPremake("build_metrics", 7);
        partitions.setPremake("conversation_messages", 2);
        partitions.maintain();
    }

    static String monthly(String table, ZonedDateTime t) {
        return String.format("%s_y%04dm%02d", table, t.getYear(), t.getMonthValue());
    }

    static String daily(String table, ZonedDateTime t) {
        return String.format("%s_y%04dm%02dd%02d", table, t.getYear(), t.getMonthValue(), t.getDayOfMonth());
    }

    static List<String> names(String table) {
        return partitions.partitions(table).stream().map(PartitionInfo::name).toList();
    }

    static long count(DSLContext dsl, String table) {
        return dsl.fetchCount(DSL.table(DSL.name(table)));
    }

    static void accessLog(DSLContext dsl, String customer, Instant at, int rows) {
        var insert = dsl.insertInto(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID, BUILD_ACCESS_LOG.MANIFEST_HASH,
                BUILD_ACCESS_LOG.TIER, BUILD_ACCESS_LOG.ACCESS_TYPE, BUILD_ACCESS_LOG.ACCESSED_AT);
        for (int i = 0; i < rows; i++) {
            insert = insert.values(customer, HASH, "free", i % 2 == 0 ? "hit" : "miss", at.plusSeconds(i));
        }
        insert.execute();
    }

    /**
     * A new customer with {@code rows} access-log rows at {@code at}, written while build_access_log is kept forever
     * (so its partition for {@code at} is created; a test then sets the retention it examines).
     */
    static String customerWithOldAccessLog(DSLContext dsl, ZonedDateTime at, int rows) {
        String customer = Fixtures.newCustomer(fx.honua());
        partitions.keepForever("build_access_log");
        accessLog(dsl, customer, at.toInstant(), rows);
        return customer;
    }

    static long rollupTotal(DSLContext dsl, String customer) {
        Long v = dsl.select(DSL.sum(CACHE_ACCESS_DAILY.HITS.plus(CACHE_ACCESS_DAILY.MISSES)).cast(Long.class))
                .from(CACHE_ACCESS_DAILY).where(CACHE_ACCESS_DAILY.CUSTOMER_ID.eq(customer)).fetchOne().value1();
        return v == null ? 0 : v;
    }

    @Test
    void createsCurrentAndUpcomingPartitionsOnceAndIsIdempotent() {
        partitions.maintain();   // whatever an earlier test left to do
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        assertThat(names("build_access_log")).contains(
                monthly("build_access_log", now), monthly("build_access_log", now.plusMonths(1)),
                monthly("build_access_log", now.plusMonths(2)), "build_access_log_default");
        assertThat(names("build_events")).contains(monthly("build_events", now.plusMonths(2)));
        assertThat(names("conversation_messages")).contains(monthly("conversation_messages", now.plusMonths(2)));
        assertThat(names("build_metrics")).contains(daily("build_metrics", now), daily("build_metrics", now.plusDays(7)));
        assertThat(names("build_access_log")).last().isEqualTo("build_access_log_default");

        PartitionInfo current = partitions.partitions("build_access_log").stream()
                .filter(p -> p.name().equals(monthly("build_access_log", now))).findFirst().orElseThrow();
        Instant monthStart = now.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).toInstant();
        assertThat(current.rangeStart()).contains(monthStart);
        assertThat(current.rangeEnd()).contains(now.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1).toInstant());
        assertThat(current.isDefault()).isFalse();

        assertThat(partitions.maintain().isEmpty()).as("second run has nothing to do").isTrue();

        // more premake: exactly the missing days are created
        partitions.setPremake("build_metrics", 10);
        MaintenanceReport report = partitions.maintain();
        assertThat(report.created()).extracting(PartitionAction::partitionName).containsExactly(
                daily("build_metrics", now.plusDays(8)), daily("build_metrics", now.plusDays(9)),
                daily("build_metrics", now.plusDays(10)));
        assertThat(report.created()).allSatisfy(a -> {
            assertThat(a.tableName()).isEqualTo("build_metrics");
            assertThat(a.rowsMoved()).isZero();
            assertThat(a.rangeEnd()).isEqualTo(a.rangeStart().plus(1, ChronoUnit.DAYS));
        });
    }

    @Test
    void insertsBeyondThePartitionsLandInDefaultAndAreMovedWithoutCountingThemTwice() {
        partitions.maintain();
        DSLContext dsl = fx.dsl();
        String customer = Fixtures.newCustomer(fx.honua());
        // far beyond premake and far in the past: no partition exists, the inserts must still succeed
        Instant future = ZonedDateTime.now(ZoneOffset.UTC).plusYears(1).withDayOfMonth(10).toInstant();
        Instant past = ZonedDateTime.now(ZoneOffset.UTC).minusDays(40).toInstant();
        partitions.keepForever("build_access_log");
        long defaultBefore = count(dsl, "build_access_log_default");
        accessLog(dsl, customer, future, 30);
        accessLog(dsl, customer, ZonedDateTime.now(ZoneOffset.UTC).minusYears(3).toInstant(), 7);
        assertThat(count(dsl, "build_access_log_default")).isEqualTo(defaultBefore + 37);
        long total = dsl.fetchCount(BUILD_ACCESS_LOG);
        long rollup = rollupTotal(dsl, customer);
        assertThat(rollup).isEqualTo(37);
        // hits on a cache entry: the row trigger counted them once on insert, the move must not count them again
        UUID entry = dsl.insertInto(BUILD_CACHE_REGISTRY)
                .set(BUILD_CACHE_REGISTRY.MANIFEST_HASH, Fixtures.sha256(customer))
                .set(BUILD_CACHE_REGISTRY.TIER, "free")
                .set(BUILD_CACHE_REGISTRY.IMAGE_REFERENCE, "registry/img:1")
                .set(BUILD_CACHE_REGISTRY.IMAGE_DIGEST, "sha256:" + Fixtures.sha256("img"))
                .returning(BUILD_CACHE_REGISTRY.ID).fetchOne(BUILD_CACHE_REGISTRY.ID);
        for (int i = 0; i < 3; i++) {
            dsl.insertInto(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CACHE_ENTRY_ID, BUILD_ACCESS_LOG.CUSTOMER_ID,
                    BUILD_ACCESS_LOG.MANIFEST_HASH, BUILD_ACCESS_LOG.TIER, BUILD_ACCESS_LOG.ACCESS_TYPE, BUILD_ACCESS_LOG.ACCESSED_AT)
                    .values(entry, customer, Fixtures.sha256(customer), "free", "hit", future.plusSeconds(100 + i)).execute();
        }
        assertThat(dsl.fetchValue(BUILD_CACHE_REGISTRY.HIT_COUNT, BUILD_CACHE_REGISTRY.ID.eq(entry))).isEqualTo(3L);
        total += 3;
        rollup += 3;
        // a build's events too (FK to build_queue: the attached partition gets the FK)
        UUID build = fx.honua().buildQueue().enqueue(NewBuild.builder(customer).build()).id();
        dsl.insertInto(BUILD_EVENTS, BUILD_EVENTS.BUILD_ID, BUILD_EVENTS.EVENT_TYPE, BUILD_EVENTS.EVENT_TIMESTAMP)
                .values(build, "progress", future).values(build, "progress", past).execute();

        MaintenanceReport report = partitions.maintain();

        ZonedDateTime f = future.atZone(ZoneOffset.UTC);
        assertThat(report.created()).filteredOn(a -> a.tableName().equals("build_access_log"))
                .extracting(PartitionAction::partitionName, PartitionAction::rowsMoved)
                .contains(org.assertj.core.groups.Tuple.tuple(monthly("build_access_log", f), 33L),
                        org.assertj.core.groups.Tuple.tuple(monthly("build_access_log", ZonedDateTime.now(ZoneOffset.UTC).minusYears(3)), 7L));
        assertThat(report.created()).filteredOn(a -> a.tableName().equals("build_events"))
                .extracting(PartitionAction::partitionName).contains(monthly("build_events", f));
        assertThat(count(dsl, "build_access_log_default")).isZero();
        assertThat(count(dsl, monthly("build_access_log", f))).isEqualTo(33);
        assertThat(dsl.fetchValue(BUILD_CACHE_REGISTRY.HIT_COUNT, BUILD_CACHE_REGISTRY.ID.eq(entry)))
                .as("row triggers do not fire for moved rows").isEqualTo(3L);
        assertThat(dsl.fetchCount(BUILD_ACCESS_LOG)).isEqualTo(total);
        assertThat(rollupTotal(dsl, customer)).as("moving rows does not fire the rollup again").isEqualTo(rollup);
        assertThat(count(dsl, "build_events_default")).isZero();
        assertThat(dsl.fetchCount(BUILD_EVENTS, BUILD_EVENTS.BUILD_ID.eq(build))).isGreaterThanOrEqualTo(3);
        // the moved partition is a full member: new rows route to it, the FK holds (cascade delete reaches it)
        accessLog(dsl, customer, future.plusSeconds(3600), 1);
        assertThat(count(dsl, monthly("build_access_log", f))).isEqualTo(34);
        dsl.deleteFrom(io.honua.db.schema.generated.Tables.BUILD_QUEUE)
                .where(io.honua.db.schema.generated.Tables.BUILD_QUEUE.ID.eq(build)).execute();
        assertThat(dsl.fetchCount(BUILD_EVENTS, BUILD_EVENTS.BUILD_ID.eq(build))).isZero();
    }

    @Test
    void retentionDropsWholePartitionsPastItAndKeepsTheRollup() {
        DSLContext dsl = fx.dsl();
        ZonedDateTime old = ZonedDateTime.now(ZoneOffset.UTC).minusMonths(8);
        String customer = customerWithOldAccessLog(dsl, old, 5);
        assertThat(partitions.maintain().created()).extracting(PartitionAction::partitionName)
                .contains(monthly("build_access_log", old));
        assertThat(names("build_access_log")).contains(monthly("build_access_log", old));

        partitions.setRetention("build_access_log", Period.ofMonths(6), RetentionAction.DROP);
        assertThat(partitions.policy("build_access_log").orElseThrow().retention()).contains(Period.ofMonths(6));
        MaintenanceReport report = partitions.maintain();

        assertThat(report.retired()).extracting(PartitionAction::partitionName, PartitionAction::kind)
                .contains(org.assertj.core.groups.Tuple.tuple(monthly("build_access_log", old), PartitionAction.Kind.DROPPED));
        Instant cutoff = ZonedDateTime.now(ZoneOffset.UTC).minusMonths(6).toInstant();
        assertThat(report.retired()).allSatisfy(a -> assertThat(a.rangeEnd()).isBeforeOrEqualTo(cutoff.plusSeconds(60)));
        assertThat(names("build_access_log")).doesNotContain(monthly("build_access_log", old))
                .contains(monthly("build_access_log", ZonedDateTime.now(ZoneOffset.UTC)), "build_access_log_default");
        assertThat(partitions.partitions("build_access_log")).filteredOn(p -> !p.isDefault())
                .allSatisfy(p -> assertThat(p.rangeEnd().orElseThrow()).isAfter(cutoff.minusSeconds(60)));
        assertThat(dsl.fetchExists(DSL.selectOne().from(DSL.table("pg_class")).where(DSL.field("relname").eq(monthly("build_access_log", old)))))
                .isFalse();
        assertThat(dsl.fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customer))).isZero();
        assertThat(rollupTotal(dsl, customer)).as("rollup outlives the raw log").isEqualTo(5);
    }

    @Test
    void detachKeepsExpiredPartitionsAsStandaloneTables() {
        DSLContext dsl = fx.dsl();
        ZonedDateTime old = ZonedDateTime.now(ZoneOffset.UTC).minusYears(2);
        String customer = customerWithOldAccessLog(dsl, old, 4);
        partitions.setRetention("build_access_log", Period.ofYears(1), RetentionAction.DETACH);

        MaintenanceReport report = partitions.maintain();

        String name = monthly("build_access_log", old);
        assertThat(report.created()).extracting(PartitionAction::partitionName).contains(name);
        assertThat(report.retired()).extracting(PartitionAction::partitionName, PartitionAction::kind)
                .contains(org.assertj.core.groups.Tuple.tuple(name, PartitionAction.Kind.DETACHED));
        assertThat(names("build_access_log")).doesNotContain(name);
        assertThat(dsl.fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customer))).isZero();
        assertThat(count(dsl, name)).as("archive keeps the rows").isEqualTo(4);
        assertThat(partitions.maintain().retired()).extracting(PartitionAction::partitionName).doesNotContain(name);
        dsl.dropTable(DSL.name(name)).execute();
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        List<PartitionPolicy> before = partitions.policies();
        assertThat(before).extracting(PartitionPolicy::tableName)
                .containsExactly("build_access_log", "build_events", "build_metrics", "conversation_messages");
        assertThat(before).filteredOn(p -> p.tableName().equals("build_metrics")).singleElement()
                .satisfies(p -> assertThat(p.interval()).isEqualTo(PartitionInterval.DAY));

        assertThatThrownBy(() -> partitions.setRetention("no_such_table", Period.ofDays(3), RetentionAction.DROP))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("no_such_table");
        assertThatThrownBy(() -> partitions.setRetention("build_events", Period.ZERO, RetentionAction.DROP))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> partitions.setRetention("build_events", Period.ofDays(-3), RetentionAction.DROP))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> partitions.setRetention("build_events", null, RetentionAction.DROP))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> partitions.setPremake("build_events", 401)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> partitions.setPremake("build_events", -1)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> partitions.keepForever(" ")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> partitions.partitions(null)).isInstanceOf(InvalidRequestException.class);
        assertThat(partitions.partitions("customers")).isEmpty();
        assertThat(partitions.policies()).isEqualTo(before);
    }

    @Test
    void concurrentRunsCreateEachPartitionExactlyOnce() throws Exception {
        partitions.maintain();
        List<String> before = names("build_metrics");
        partitions.setPremake("build_metrics", 40);
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<CompletableFuture<MaintenanceReport>> runs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                runs.add(CompletableFuture.supplyAsync(() -> {
                    await(go);
                    return partitions.maintain();
                }, pool));
            }
            go.countDown();
            List<String> created = new ArrayList<>();
            for (CompletableFuture<MaintenanceReport> run : runs) {
                created.addAll(run.get(60, TimeUnit.SECONDS).created().stream().map(PartitionAction::partitionName).toList());
            }
            ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
            Set<String> expected = new HashSet<>();
            for (int d = 0; d <= 40; d++) {
                expected.add(daily("build_metrics", now.plusDays(d)));
            }
            expected.removeAll(before);
            assertThat(expected).hasSizeGreaterThanOrEqualTo(30);
            assertThat(created).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(expected);
            assertThat(names("build_metrics")).containsAll(expected);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writersKeepWritingWhileMaintenanceMovesStrays() throws Exception {
        partitions.maintain();
        partitions.keepForever("build_access_log");
        String customer = Fixtures.newCustomer(fx.honua());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong written = new AtomicLong();
        int writers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try {
            List<CompletableFuture<Void>> tasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int seed = w;
                tasks.add(CompletableFuture.runAsync(() -> {
                    int i = 0;
                    while (!stop.get()) {
                        // every third batch is a stray: 2..40 months ahead, beyond any premade partition
                        Instant at = i % 3 == 0
                                ? ZonedDateTime.now(ZoneOffset.UTC).plusMonths(3 + (seed * 7 + i) % 38).toInstant()
                                : Instant.now();
                        accessLog(fx.dsl(), customer, at, 5);
                        written.addAndGet(5);
                        i++;
                    }
                }, pool));
            }
            int moved = 0;
            for (int run = 0; run < 10; run++) {
                Thread.sleep(100);
                moved += (int) partitions.maintain().rowsMoved();
            }
            stop.set(true);
            for (CompletableFuture<Void> t : tasks) {
                t.get(60, TimeUnit.SECONDS);
            }
            moved += (int) partitions.maintain().rowsMoved();
            assertThat(moved).isPositive();
            assertThat(count(fx.dsl(), "build_access_log_default")).isZero();
            assertThat((long) fx.dsl().fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customer)))
                    .isEqualTo(written.get());
            assertThat(rollupTotal(fx.dsl(), customer)).isEqualTo(written.get());
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
