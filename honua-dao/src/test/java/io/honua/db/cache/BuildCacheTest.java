package io.honua.db.cache;

import static io.honua.db.cache.CacheFixtures.customerWithTier;
import static io.honua.db.cache.CacheFixtures.entries;
import static io.honua.db.cache.CacheFixtures.hash;
import static io.honua.db.cache.CacheFixtures.logRows;
import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.BUILD_CACHE_REGISTRY;
import static io.honua.db.schema.generated.Tables.CACHE_ACCESS_BATCHES;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BuildCacheTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(10);

    final BuildCache cache = fx.honua().buildCache();

    private static NewCacheEntry entry(String customer, String hash, Tier tier) {
        return NewCacheEntry.of(customer, hash, tier, "registry.example/app:" + hash.substring(0, 8), "sha256:" + hash);
    }

    @Test
    void registerLookupRecordRoundTrip() {
        String c = customerWithTier(fx.honua(), Tier.PROFESSIONAL);
        String h = hash();
        CacheEntry registered = cache.register(entry(c, h, Tier.STANDARD).withImage(123_456, 7, Duration.ofSeconds(95)));
        assertThat(registered.manifestHash()).isEqualTo(h);
        assertThat(registered.tier()).isEqualTo(Tier.STANDARD);
        assertThat(registered.imageSizeBytes()).isEqualTo(123_456);
        assertThat(registered.layerCount()).isEqualTo(7);
        assertThat(registered.buildDuration()).isEqualTo(Duration.ofSeconds(95));
        assertThat(registered.createdByCustomerId()).contains(c);
        assertThat(registered.hitCount()).isZero();
        assertThat(registered.lastHitAt()).isEmpty();

        assertThat(cache.lookup(c, h, Tier.STANDARD)).contains(registered);
        assertThat(cache.lookup(c, h, Tier.FREE)).isEmpty();          // other tier: other entry (none)
        assertThat(cache.lookup(c, hash(), Tier.STANDARD)).isEmpty();  // unknown hash
        assertThat(logRows(fx.dsl(), c, "hit") + logRows(fx.dsl(), c, "miss")).as("lookup records nothing").isZero();

        // lookupAndRecord: a hit is logged and counted in the same statement
        CacheEntry hit = cache.lookupAndRecord(c, h, Tier.STANDARD).orElseThrow();
        assertThat(hit.id()).isEqualTo(registered.id());
        assertThat(hit.hitCount()).isEqualTo(1);
        assertThat(hit.lastHitAt()).isPresent();
        assertThat(cache.lookupAndRecord(c, hash(), Tier.STANDARD)).isEmpty();
        assertThat(logRows(fx.dsl(), c, "hit")).isEqualTo(1);
        assertThat(logRows(fx.dsl(), c, "miss")).isEqualTo(1);
        assertThat(fx.dsl().fetchValue(BUILD_ACCESS_LOG.CACHE_ENTRY_ID, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(c)
                .and(BUILD_ACCESS_LOG.ACCESS_TYPE.eq("hit")))).isEqualTo(registered.id());

        // record (record_cache_access): hit only when the entry exists
        long id1 = cache.record(c, h, Tier.STANDARD, true);
        long id2 = cache.record(c, h, Tier.STANDARD, false);
        long id3 = cache.record(c, hash(), Tier.STANDARD, true);
        assertThat(Set.of(id1, id2, id3)).hasSize(3);
        assertThat(logRows(fx.dsl(), c, "hit")).isEqualTo(2);
        assertThat(logRows(fx.dsl(), c, "miss")).isEqualTo(3);
        CacheEntry after = cache.entry(h, Tier.STANDARD).orElseThrow();
        assertThat(after.hitCount()).isEqualTo(2);
        assertThat(after.lastHitAt().orElseThrow()).isAfterOrEqualTo(hit.lastHitAt().orElseThrow());
    }

    @Test
    void registerAgainUpdatesTheImageAndKeepsIdentityAndStatistics() {
        String c = customerWithTier(fx.honua(), Tier.ENTERPRISE);
        String h = hash();
        CacheEntry first = cache.register(entry(c, h, Tier.ENTERPRISE));
        cache.record(c, h, Tier.ENTERPRISE, true);
        Instant expiry = Instant.now().plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        CacheEntry second = cache.register(NewCacheEntry.of(c, h, Tier.ENTERPRISE, "registry.example/app:v2", "sha256:v2")
                .withExpiresAt(expiry));
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.imageReference()).isEqualTo("registry.example/app:v2");
        assertThat(second.imageDigest()).isEqualTo("sha256:v2");
        assertThat(second.expiresAt()).contains(expiry);
        assertThat(second.hitCount()).isEqualTo(1);
        assertThat(second.createdAt()).isEqualTo(first.createdAt());
        assertThat(fx.dsl().fetchCount(BUILD_CACHE_REGISTRY, BUILD_CACHE_REGISTRY.MANIFEST_HASH.eq(h))).isEqualTo(1);
    }

    @Test
    void tierRuleEveryCombination() {
        // one entry per tier for the same manifest, registered by an enterprise customer
        String owner = customerWithTier(fx.honua(), Tier.ENTERPRISE);
        String h = hash();
        for (Tier t : Tier.values()) {
            cache.register(entry(owner, h, t));
        }
        for (Tier licensed : Tier.values()) {
            String c = customerWithTier(fx.honua(), licensed);
            assertThat(cache.licenseTier(c)).contains(licensed);
            for (Tier wanted : Tier.values()) {
                boolean allowed = wanted.ordinal() <= licensed.ordinal();
                assertThat(cache.lookup(c, h, wanted).isPresent())
                        .as("%s customer looking up %s entry", licensed, wanted).isEqualTo(allowed);
                assertThat(cache.lookupAndRecord(c, h, wanted).isPresent()).isEqualTo(allowed);
            }
            // a refused lookup is logged as a miss and counts no hit
            assertThat(logRows(fx.dsl(), c, "hit")).isEqualTo(licensed.ordinal() + 1);
            assertThat(logRows(fx.dsl(), c, "miss")).isEqualTo(Tier.values().length - licensed.ordinal() - 1);
        }
        for (Tier t : Tier.values()) {
            assertThat(cache.entry(h, t).orElseThrow().hitCount()).isEqualTo(Tier.values().length - t.ordinal());
        }
    }

    @Test
    void tierRuleUsesOnlyValidLicensesAndTheHighestOfThem() {
        String owner = customerWithTier(fx.honua(), Tier.ENTERPRISE);
        String h = hash();
        cache.register(entry(owner, h, Tier.FREE));
        cache.register(entry(owner, h, Tier.PROFESSIONAL));

        String none = Fixtures.newCustomer(fx.honua());
        assertThat(cache.licenseTier(none)).isEmpty();
        assertThat(cache.lookup(none, h, Tier.FREE)).as("no license, no cache").isEmpty();

        Instant past = Instant.now().minusSeconds(60);
        String expired = Fixtures.newCustomer(fx.honua());
        CacheFixtures.license(fx.dsl(), expired, Tier.ENTERPRISE, "active", past, false, null);
        assertThat(cache.lookup(expired, h, Tier.FREE)).as("license past expires_at").isEmpty();

        String trialOver = Fixtures.newCustomer(fx.honua());
        CacheFixtures.license(fx.dsl(), trialOver, Tier.ENTERPRISE, "trial", null, true, past);
        assertThat(cache.lookup(trialOver, h, Tier.FREE)).as("trial ended").isEmpty();

        String revoked = Fixtures.newCustomer(fx.honua());
        CacheFixtures.license(fx.dsl(), revoked, Tier.ENTERPRISE, "revoked", null, false, null);
        assertThat(cache.lookup(revoked, h, Tier.FREE)).as("revoked license").isEmpty();

        String trial = Fixtures.newCustomer(fx.honua());
        CacheFixtures.license(fx.dsl(), trial, Tier.PROFESSIONAL, "trial", null, true, Instant.now().plusSeconds(3600));
        assertThat(cache.lookup(trial, h, Tier.PROFESSIONAL)).as("running trial").isPresent();

        String two = customerWithTier(fx.honua(), Tier.FREE);
        assertThat(cache.lookup(two, h, Tier.PROFESSIONAL)).isEmpty();
        CacheFixtures.license(fx.dsl(), two, Tier.PROFESSIONAL, "active", Instant.now().plusSeconds(3600), false, null);
        assertThat(cache.licenseTier(two)).contains(Tier.PROFESSIONAL);
        assertThat(cache.lookup(two, h, Tier.PROFESSIONAL)).as("highest valid license counts").isPresent();
    }

    @Test
    void expiredEntriesAreNotReturned() {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        String h = hash();
        cache.register(entry(c, h, Tier.FREE).withExpiresAt(Instant.now().minusSeconds(1)));
        assertThat(cache.lookup(c, h, Tier.FREE)).isEmpty();
        assertThat(cache.entry(h, Tier.FREE)).isPresent();
        cache.register(entry(c, h, Tier.FREE).withExpiresAt(Instant.now().plusSeconds(600)));
        assertThat(cache.lookup(c, h, Tier.FREE)).isPresent();
    }

    @Test
    void registeringAboveTheLicenseTierIsRefusedAndWritesNothing() {
        String c = customerWithTier(fx.honua(), Tier.STANDARD);
        String h = hash();
        int before = entries(fx.dsl());
        assertThatThrownBy(() -> cache.register(entry(c, h, Tier.PROFESSIONAL)))
                .isInstanceOf(TierNotAllowedException.class).hasMessageContaining("professional");
        String none = Fixtures.newCustomer(fx.honua());
        assertThatThrownBy(() -> cache.register(entry(none, h, Tier.FREE))).isInstanceOf(TierNotAllowedException.class);
        assertThat(entries(fx.dsl())).isEqualTo(before);
        assertThat(cache.register(entry(c, h, Tier.STANDARD)).tier()).isEqualTo(Tier.STANDARD);
    }

    @Test
    void badInputIsRefusedWithTypedExceptionsAndChangesNothing() {
        String c = customerWithTier(fx.honua(), Tier.ENTERPRISE);
        String h = hash();
        cache.register(entry(c, h, Tier.FREE));
        String deleted = customerWithTier(fx.honua(), Tier.ENTERPRISE);
        fx.dsl().update(CUSTOMERS).set(CUSTOMERS.DELETED_AT, Instant.now()).where(CUSTOMERS.CUSTOMER_ID.eq(deleted)).execute();
        int logBefore = logRows(fx.dsl());
        int entriesBefore = entries(fx.dsl());
        Long hitsBefore = fx.dsl().fetchValue(BUILD_CACHE_REGISTRY.HIT_COUNT, BUILD_CACHE_REGISTRY.MANIFEST_HASH.eq(h));

        List<ThrowingCallable> invalid = List.of(
                () -> cache.lookup(null, h, Tier.FREE),
                () -> cache.lookup(c, null, Tier.FREE),
                () -> cache.lookup(c, h, null),
                () -> cache.lookup(c, h.toUpperCase(), Tier.FREE),
                () -> cache.lookup(c, h.substring(1), Tier.FREE),
                () -> cache.lookup(c, "not-a-hash", Tier.FREE),
                () -> cache.lookup("bad customer id", h, Tier.FREE),
                () -> cache.lookup("", h, Tier.FREE),
                () -> cache.lookupAndRecord(c, "zz" + h.substring(2), Tier.FREE),
                () -> cache.record(c, h, null, true),
                () -> cache.record(null, h, Tier.FREE, true),
                () -> cache.register(null),
                () -> NewCacheEntry.of(c, h, Tier.FREE, "", "d"),
                () -> NewCacheEntry.of(c, h, Tier.FREE, "r", null),
                () -> NewCacheEntry.of(c, h, Tier.FREE, "r", "d").withImage(-1, 0, Duration.ZERO),
                () -> NewCacheEntry.of(c, h, Tier.FREE, "r", "d").withImage(0, -1, Duration.ZERO),
                () -> NewCacheEntry.of(c, h, Tier.FREE, "r", "d").withImage(0, 0, Duration.ofSeconds(-1)),
                () -> Tier.parse("gold"),
                () -> new AccessEvent(c, h, Tier.FREE, true, null),
                () -> cache.recordBatch(UUID.randomUUID(), List.of()),
                () -> cache.recordBatch(null, List.of(AccessEvent.now(c, h, Tier.FREE, true))),
                () -> cache.pruneBatchLedger(Duration.ofSeconds(5)));
        for (ThrowingCallable call : invalid) {
            assertThatThrownBy(call).isInstanceOf(InvalidRequestException.class);
        }
        for (String unknown : List.of("nobody-" + UUID.randomUUID(), deleted)) {
            List<ThrowingCallable> notFound = List.of(
                    () -> cache.lookup(unknown, h, Tier.FREE),
                    () -> cache.lookupAndRecord(unknown, h, Tier.FREE),
                    () -> cache.record(unknown, h, Tier.FREE, true),
                    () -> cache.register(entry(unknown, hash(), Tier.FREE)),
                    () -> cache.licenseTier(unknown));
            for (ThrowingCallable call : notFound) {
                assertThatThrownBy(call).isInstanceOf(UnknownCustomerException.class).hasMessageContaining("unknown customer");
            }
        }
        assertThat(logRows(fx.dsl())).isEqualTo(logBefore);
        assertThat(entries(fx.dsl())).isEqualTo(entriesBefore);
        assertThat(fx.dsl().fetchValue(BUILD_CACHE_REGISTRY.HIT_COUNT, BUILD_CACHE_REGISTRY.MANIFEST_HASH.eq(h)))
                .isEqualTo(hitsBefore);
    }

    @Test
    void eightThreadsRegisteringTheSameManifestLeaveOneRow() throws Exception {
        String c = customerWithTier(fx.honua(), Tier.PROFESSIONAL);
        for (int round = 0; round < 20; round++) {
            String h = hash();
            int threads = 8;
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService exec = Executors.newFixedThreadPool(threads);
            List<Future<CacheEntry>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int n = t;
                results.add(exec.submit(() -> {
                    start.await();
                    return cache.register(NewCacheEntry.of(c, h, Tier.PROFESSIONAL, "registry.example/app:t" + n, "sha256:t" + n));
                }));
            }
            start.countDown();
            Set<UUID> ids = new java.util.HashSet<>();
            for (Future<CacheEntry> f : results) {
                ids.add(f.get(30, TimeUnit.SECONDS).id());
            }
            exec.shutdown();
            assertThat(ids).as("every caller got the same entry").hasSize(1);
            assertThat(fx.dsl().fetchCount(BUILD_CACHE_REGISTRY, BUILD_CACHE_REGISTRY.MANIFEST_HASH.eq(h))).isEqualTo(1);
        }
    }

    @Test
    void recordBatchWritesOnceAndSkipsUnknownCustomers() {
        String c = customerWithTier(fx.honua(), Tier.FREE);
        String h = hash();
        CacheEntry e = cache.register(entry(c, h, Tier.FREE));
        List<AccessEvent> events = List.of(
                AccessEvent.now(c, h, Tier.FREE, true),
                AccessEvent.now("ghost-" + UUID.randomUUID().toString().substring(0, 8), h, Tier.FREE, true),
                AccessEvent.now(c, h, Tier.FREE, true),
                AccessEvent.now(c, hash(), Tier.FREE, true),
                AccessEvent.now(c, h, Tier.FREE, false));
        UUID batch = UUID.randomUUID();
        assertThat(cache.recordBatch(batch, events)).containsExactly(1);
        assertThat(cache.recordBatch(batch, events)).as("a re-sent batch writes nothing").containsExactly(1);
        assertThat(logRows(fx.dsl(), c, "hit")).isEqualTo(2);
        assertThat(logRows(fx.dsl(), c, "miss")).isEqualTo(2);
        assertThat(cache.entry(h, Tier.FREE).orElseThrow().hitCount()).isEqualTo(2);
        assertThat(cache.entry(h, Tier.FREE).orElseThrow().lastHitAt().orElseThrow())
                .isEqualTo(events.get(2).accessedAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(fx.dsl().fetchCount(CACHE_ACCESS_BATCHES, CACHE_ACCESS_BATCHES.BATCH_ID.eq(batch))).isEqualTo(1);
        assertThat(e.id()).isNotNull();
        assertThat(cache.pruneBatchLedger(Duration.ofDays(1))).as("fresh ledger rows stay").isZero();
        Set<String> types = fx.dsl().selectDistinct(BUILD_ACCESS_LOG.ACCESS_TYPE).from(BUILD_ACCESS_LOG)
                .where(BUILD_ACCESS_LOG.CUSTOMER_ID.eq(c)).fetchSet(BUILD_ACCESS_LOG.ACCESS_TYPE);
        assertThat(types.stream().sorted().collect(Collectors.toList())).containsExactly("hit", "miss");
    }
}
