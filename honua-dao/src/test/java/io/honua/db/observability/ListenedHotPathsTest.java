package io.honua.db.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.HonuaDb;
import io.honua.db.analytics.CacheHitRate;
import io.honua.db.analytics.QueueDepth;
import io.honua.db.cache.CacheEntry;
import io.honua.db.cache.NewCacheEntry;
import io.honua.db.intake.ConversationClosedException;
import io.honua.db.intake.Conversations;
import io.honua.db.intake.Message;
import io.honua.db.intake.MessageRole;
import io.honua.db.intake.NewConversation;
import io.honua.db.intake.NewMessage;
import io.honua.db.intake.UnknownConversationException;
import io.honua.db.metrics.MetricBucket;
import io.honua.db.metrics.MetricSample;
import io.honua.db.metrics.SeriesQuery;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildStatus;
import io.honua.db.queue.Completion;
import io.honua.db.queue.LeaseLostException;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The hot paths (cache lookup, hit rate, queue depth, message append, metrics record and series) run as plain JDBC
 * without execute listeners and through jOOQ with them: both give the same results and errors, and a listener sees
 * every statement of them.
 */
class ListenedHotPathsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    static HonuaDb direct;
    static HonuaDb listened;
    static SlowQueryListener listener;

    @BeforeAll
    static void setUp() {
        direct = fx.honua();
        listened = HonuaDb.builder(fx.pool()).slowQueryThreshold(Duration.ofHours(1)).build();
        listener = listened.slowQueryListener().orElseThrow();
    }

    /** Runs the call on the listened instance and checks that the listener saw exactly one statement. */
    static <T> T oneStatement(Supplier<T> call) {
        long before = listener.stats().statements();
        T result = call.get();
        assertThat(listener.stats().statements()).isEqualTo(before + 1);
        return result;
    }

    @Test
    void cacheLookupAndHitRate() {
        String c = Fixtures.newCustomer(direct);
        Fixtures.license(direct.dsl(), c, 5);
        String h = Fixtures.sha256("listened-" + UUID.randomUUID());
        direct.buildCache().register(NewCacheEntry.of(c, h, Tier.STANDARD, "registry.example/app:1", "sha256:" + h)
                .withImage(4_321, 3, Duration.ofSeconds(42)));

        Optional<CacheEntry> seen = oneStatement(() -> listened.buildCache().lookup(c, h, Tier.STANDARD));
        assertThat(seen).isPresent();
        assertThat(seen.get().imageSizeBytes()).isEqualTo(4_321);
        assertThat(seen.get().buildDuration()).isEqualTo(Duration.ofSeconds(42));
        assertThat(direct.buildCache().lookup(c, h, Tier.STANDARD)).isEqualTo(seen);
        assertThat(direct.buildCache().lookup(c, h, Tier.PROFESSIONAL)).isEmpty();
        assertThat(oneStatement(() -> listened.buildCache().lookup(c, h, Tier.PROFESSIONAL))).isEmpty();

        // lookupAndRecord logs a hit each time: the second call (other path) sees one more hit than the first
        CacheEntry first = oneStatement(() -> listened.buildCache().lookupAndRecord(c, h, Tier.STANDARD)).orElseThrow();
        CacheEntry second = direct.buildCache().lookupAndRecord(c, h, Tier.STANDARD).orElseThrow();
        assertThat(second.hitCount()).isEqualTo(first.hitCount() + 1);
        assertThat(second.lastHitAt()).isPresent();
        direct.buildCache().record(c, h, Tier.STANDARD, false);

        Optional<CacheHitRate> rate = oneStatement(() -> listened.analytics().cacheHitRate(c, 1));
        assertThat(rate).isPresent();
        assertThat(rate.get().hits()).isEqualTo(2);
        assertThat(rate.get().misses()).isEqualTo(1);
        assertThat(direct.analytics().cacheHitRate(c, 1)).isEqualTo(rate);
        assertThat(direct.analytics().cacheHitRates(1)).isEqualTo(oneStatement(() -> listened.analytics().cacheHitRates(1)))
                .contains(rate.get());
        assertThat(direct.analytics().cacheHitRate(Fixtures.newCustomer(direct), 1)).isEmpty();
    }

    /** Enqueue, claim and complete: the same rows and errors on the plain-JDBC path and through jOOQ with a listener. */
    @Test
    void enqueueClaimCompleteOnBothPaths() {
        String c = Fixtures.newCustomer(direct);
        Fixtures.license(direct.dsl(), c, 5);
        Build listenedBuild = oneStatement(() -> listened.buildQueue().enqueue(NewBuild.builder(c).priority(4)
                .traceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").buildConfig("{\"a\": 1}").build()));
        Build directBuild = direct.buildQueue().enqueue(NewBuild.builder(c).priority(4)
                .traceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").buildConfig("{\"a\": 1}").build());
        assertThat(direct.buildQueue().find(listenedBuild.id())).contains(listenedBuild);
        assertThat(direct.buildQueue().find(directBuild.id())).contains(directBuild);
        assertThat(directBuild.traceParent()).isEqualTo(listenedBuild.traceParent());

        List<Build> claimedListened = oneStatement(() -> listened.buildQueue().claim("w-listened", 1));
        List<Build> claimedDirect = direct.buildQueue().claim("w-direct", 1);
        assertThat(claimedListened).singleElement().satisfies(b -> assertThat(direct.buildQueue().find(b.id())).contains(b));
        assertThat(claimedDirect).singleElement().satisfies(b -> assertThat(direct.buildQueue().find(b.id())).contains(b));

        Completion done = Completion.builder(Duration.ofSeconds(1)).exitCode(0).cpuSeconds(new BigDecimal("1.5")).build();
        Build completedListened = oneStatement(() -> listened.buildQueue().complete(claimedListened.getFirst().id(), "w-listened", done));
        Build completedDirect = direct.buildQueue().complete(claimedDirect.getFirst().id(), "w-direct", done);
        assertThat(completedListened.status()).isEqualTo(BuildStatus.COMPLETED);
        assertThat(completedDirect.status()).isEqualTo(BuildStatus.COMPLETED);
        assertThat(direct.buildQueue().find(completedDirect.id())).contains(completedDirect);

        // the same typed errors on both paths, nothing written
        String nobody = "nobody-" + UUID.randomUUID();
        assertThatThrownBy(() -> direct.buildQueue().enqueue(NewBuild.builder(nobody).build())).isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> listened.buildQueue().enqueue(NewBuild.builder(nobody).build())).isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> direct.buildQueue().complete(completedDirect.id(), "w-direct", done)).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> listened.buildQueue().complete(completedListened.id(), "w-listened", done))
                .isInstanceOf(LeaseLostException.class);
    }

    /** A tenant's DAOs run on a configuration derived from HonuaDb's: the same listener sees their statements. */
    @Test
    void tenantStatementsAreListenedToo() {
        String c = Fixtures.newCustomer(direct);
        Fixtures.license(direct.dsl(), c, 5);
        long before = listener.stats().statements();
        var build = listened.forTenant(c).buildQueue().enqueue(NewBuild.builder(c).build());
        assertThat(listener.stats().statements()).isGreaterThan(before);
        long afterEnqueue = listener.stats().statements();
        assertThat(listened.forTenant(c).buildQueue().find(build.id())).isPresent();
        assertThat(listener.stats().statements()).isGreaterThan(afterEnqueue);
    }

    @Test
    void queueDepth() {
        String c = Fixtures.newCustomer(direct);
        Fixtures.license(direct.dsl(), c, 5);
        direct.buildQueue().enqueue(NewBuild.builder(c).build());
        QueueDepth seen = oneStatement(() -> listened.analytics().queueDepth());
        QueueDepth now = direct.analytics().queueDepth();
        assertThat(now.queued()).isEqualTo(seen.queued()).isPositive();
        assertThat(now.ready()).isEqualTo(seen.ready());
        assertThat(now.building()).isEqualTo(seen.building());
        assertThat(now.oldestQueuedAge()).isPresent();
        assertThat(now.oldestQueuedAge().get()).isGreaterThanOrEqualTo(seen.oldestQueuedAge().orElseThrow());
    }

    @Test
    void appendReturnsTheStoredRowOnBothPaths() {
        String c = Fixtures.newCustomer(direct);
        Conversations plain = direct.intake().conversations();
        UUID conversation = plain.start(NewConversation.builder(c, "model").build()).id();
        NewMessage withCall = NewMessage.builder(MessageRole.ASSISTANT, "looking").tokens(12, 5).cost(new BigDecimal("0.000125"))
                .functionCall("inspect", "{\"path\": \"pom.xml\"}").build();
        NewMessage bare = NewMessage.builder(MessageRole.USER, "hello").build();

        Message a = oneStatement(() -> listened.intake().conversations().append(conversation, withCall));
        Message b = plain.append(conversation, withCall);
        Message d = plain.append(conversation, bare);
        assertThat(plain.messages(conversation)).containsExactly(a, b, d);
        assertThat(b.functionName()).contains("inspect");
        assertThat(b.functionCallJson()).isPresent();
        assertThat(d.functionName()).isEmpty();
        assertThat(d.functionCallJson()).isEmpty();
        assertThat(b.costUsd()).isEqualByComparingTo("0.000125");

        assertThatThrownBy(() -> plain.append(UUID.randomUUID(), bare)).isInstanceOf(UnknownConversationException.class);
        assertThatThrownBy(() -> listened.intake().conversations().append(UUID.randomUUID(), bare))
                .isInstanceOf(UnknownConversationException.class);
        plain.close(conversation);
        assertThatThrownBy(() -> plain.append(conversation, bare)).isInstanceOf(ConversationClosedException.class);
        assertThatThrownBy(() -> listened.intake().conversations().append(conversation, bare))
                .isInstanceOf(ConversationClosedException.class);
        assertThat(plain.messages(conversation)).hasSize(3);
    }

    @Test
    void metricsRecordAndSeriesOnBothPaths() {
        String c = Fixtures.newCustomer(direct);
        Fixtures.license(direct.dsl(), c, 5);
        UUID build = direct.buildQueue().enqueue(NewBuild.builder(c).build()).id();
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(10));
        List<MetricSample> first = List.of(new MetricSample("cpu", 10, Map.of("host", "a"), t0),
                new MetricSample("cpu", 30, Map.of(), t0.plusSeconds(30)));
        List<MetricSample> second = List.of(new MetricSample("cpu", 50, Map.of("host", "b"), t0.plusSeconds(61)),
                new MetricSample("cpu", 70, Map.of("host", "a"), t0.plusMillis(61_500)));
        assertThat(oneStatement(() -> listened.buildMetrics().record(build, first))).isEqualTo(2);
        assertThat(direct.buildMetrics().record(build, second)).isEqualTo(2);

        SeriesQuery minutes = SeriesQuery.builder("cpu", t0, t0.plusSeconds(180), Duration.ofMinutes(1)).build(build).build();
        List<MetricBucket> seen = oneStatement(() -> listened.buildMetrics().series(minutes));
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0).samples()).isEqualTo(2);
        assertThat(seen.get(0).avg()).isEqualTo(20.0);
        assertThat(seen.get(1).max()).isEqualTo(70.0);
        assertThat(direct.buildMetrics().series(minutes)).isEqualTo(seen);

        // a bucket of 1.5 s (fractional seconds in the interval) and a label filter, on both paths
        SeriesQuery fine = SeriesQuery.builder("cpu", t0, t0.plusSeconds(90), Duration.ofMillis(1_500)).build(build)
                .labels(Map.of("host", "a")).build();
        List<MetricBucket> fineSeen = listened.buildMetrics().series(fine);
        assertThat(fineSeen).extracting(MetricBucket::start).containsExactly(t0, t0.plusMillis(61_500));
        assertThat(direct.buildMetrics().series(fine)).isEqualTo(fineSeen);

        assertThatThrownBy(() -> direct.buildMetrics().record(UUID.randomUUID(), first)).isInstanceOf(UnknownBuildException.class);
        assertThatThrownBy(() -> listened.buildMetrics().record(UUID.randomUUID(), first)).isInstanceOf(UnknownBuildException.class);
        assertThat(direct.buildMetrics().series(minutes)).isEqualTo(seen);
    }
}
