package io.honua.db.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.honua.db.HonuaDb;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BuildMetricsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(2);

    static DSLContext admin;
    static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
    }

    static UUID build(String customer) {
        admin.execute("INSERT INTO customers (customer_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", customer, customer);
        return fx.honua().buildQueue().enqueue(NewBuild.builder(customer).build()).id();
    }

    @Test
    void aBatchIsOneStatementAndTheSeriesAggregatesPerBucket() {
        UUID b = build("met-a");
        List<MetricSample> samples = new ArrayList<>();
        // minute 0: 1..20 ; minute 1: 100 ; a memory sample and a sample of another host in minute 0
        for (int i = 1; i <= 20; i++) {
            samples.add(MetricSample.of("cpu", i, T0.plusSeconds(i)).withLabels(Map.of("host", "a", "stage", "compile")));
        }
        samples.add(MetricSample.of("cpu", 100, T0.plusSeconds(70)).withLabels(Map.of("host", "a")));
        samples.add(MetricSample.of("cpu", 1000, T0.plusSeconds(30)).withLabels(Map.of("host", "b \"quoted\" \\ é")));
        samples.add(MetricSample.of("memory", 5, T0.plusSeconds(5)));

        HonuaDb counted = HonuaDb.builder(fx.db().dataSource()).slowQueryThreshold(Duration.ofHours(1)).build();
        long before = counted.slowQueryListener().orElseThrow().stats().statements();
        assertThat(counted.buildMetrics().record(b, samples)).isEqualTo(samples.size());
        assertThat(counted.slowQueryListener().orElseThrow().stats().statements() - before).isEqualTo(1);   // one statement
        assertThat(admin.resultQuery("SELECT count(*) FROM build_metrics WHERE build_id = ?", b).fetchOne(0, Integer.class))
                .isEqualTo(samples.size());
        assertThat(admin.resultQuery("SELECT labels->>'host' FROM build_metrics WHERE metric_value = 1000").fetchOne(0, String.class))
                .isEqualTo("b \"quoted\" \\ é");

        List<MetricBucket> series = fx.honua().buildMetrics().series(SeriesQuery.builder("cpu", T0, T0.plusSeconds(180), Duration.ofMinutes(1))
                .build(b).labels(Map.of("host", "a")).build());
        assertThat(series).hasSize(2);
        MetricBucket first = series.get(0);
        assertThat(first.start()).isEqualTo(T0);
        assertThat(first.samples()).isEqualTo(20);
        assertThat(first.avg()).isEqualTo(10.5);
        assertThat(first.min()).isEqualTo(1);
        assertThat(first.max()).isEqualTo(20);
        assertThat(first.p95()).isCloseTo(19.05, within(1e-9));   // percentile_cont: 1 + 0.95 * 19
        assertThat(series.get(1).start()).isEqualTo(T0.plusSeconds(60));
        assertThat(series.get(1).avg()).isEqualTo(100);

        // without the label filter host b counts; by customer instead of build; another name
        assertThat(fx.honua().buildMetrics().series(SeriesQuery.builder("cpu", T0, T0.plusSeconds(60), Duration.ofMinutes(1))
                .customer("met-a").build())).singleElement().satisfies(x -> {
                    assertThat(x.samples()).isEqualTo(21);
                    assertThat(x.max()).isEqualTo(1000);
                });
        assertThat(fx.honua().buildMetrics().series(SeriesQuery.builder("memory", T0, T0.plusSeconds(60), Duration.ofSeconds(10)).build()))
                .singleElement().satisfies(x -> assertThat(x.start()).isEqualTo(T0));
        assertThat(fx.honua().buildMetrics().series(SeriesQuery.builder("cpu", T0, T0.plusSeconds(60), Duration.ofMinutes(1))
                .customer("nobody").build())).isEmpty();
    }

    @Test
    void badInputIsRefusedAndWritesNothing() {
        UUID b = build("met-bad");
        assertThatThrownBy(() -> MetricSample.of("cpu", Double.NaN, T0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> MetricSample.of("", 1, T0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> MetricSample.of("cpu", 1, null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> fx.honua().buildMetrics().record(b, List.of())).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> fx.honua().buildMetrics().record(null, List.of(MetricSample.of("cpu", 1, T0))))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> fx.honua().buildMetrics().record(UUID.randomUUID(), List.of(MetricSample.of("cpu", 1, T0))))
                .isInstanceOf(UnknownBuildException.class);
        assertThatThrownBy(() -> SeriesQuery.builder("cpu", T0, T0, Duration.ofMinutes(1)).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> SeriesQuery.builder("cpu", T0, T0.plusSeconds(3600 * 24 * 365L), Duration.ofMillis(1)).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> SeriesQuery.builder("cpu", T0, T0.plusSeconds(60), Duration.ZERO).build())
                .isInstanceOf(InvalidRequestException.class);
        // the SQL function refuses what the Java side would too
        assertThatThrownBy(() -> admin.execute("SELECT record_build_metrics(?, ARRAY['cpu'], ARRAY['NaN'::float8], ARRAY[NULL::jsonb], ARRAY[1::bigint])", b))
                .hasMessageContaining("finite");
        assertThat(admin.resultQuery("SELECT count(*) FROM build_metrics WHERE build_id = ?", b).fetchOne(0, Integer.class)).isZero();
    }

    @Test
    void theAppRoleRecordsAndReadsItsTenantsMetricsOnly() {
        UUID mine = build("met-t1");
        UUID theirs = build("met-t2");
        HonuaDb app = HonuaDb.create(fx.appPool());
        var t1 = app.forTenant("met-t1").buildMetrics();
        assertThat(t1.record(mine, MetricSample.of("rss", 7, T0))).isEqualTo(1);
        assertThatThrownBy(() -> t1.record(theirs, MetricSample.of("rss", 9, T0))).isInstanceOf(UnknownBuildException.class);
        fx.honua().buildMetrics().record(theirs, MetricSample.of("rss", 9, T0));
        SeriesQuery all = SeriesQuery.builder("rss", T0, T0.plusSeconds(60), Duration.ofMinutes(1)).build();
        assertThat(t1.series(all)).singleElement().satisfies(x -> {
            assertThat(x.samples()).isEqualTo(1);
            assertThat(x.max()).isEqualTo(7);
        });
        assertThat(fx.honua().buildMetrics().series(all)).singleElement().satisfies(x -> assertThat(x.samples()).isEqualTo(2));
        // without a tenant the app role sees nothing
        assertThat(app.buildMetrics().series(all)).isEmpty();
    }

    @Test
    void labelFiltersUseTheGinIndexAndRetentionIsByPartition() {
        assertThat(admin.resultQuery("SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_build_metrics_labels'").fetchOne(0, String.class))
                .contains("gin").contains("jsonb_path_ops");
        String plan = admin.connectionResult(c -> {
            DSLContext one = DSL.using(c, SQLDialect.POSTGRES);
            one.execute("SET enable_seqscan = off");
            try {
                return String.join("\n", one.resultQuery("EXPLAIN SELECT * FROM build_metrics WHERE labels @> '{\"host\": \"a\"}'")
                        .fetch(0, String.class));
            } finally {
                one.execute("RESET enable_seqscan");
            }
        });
        assertThat(plan).contains("Bitmap Index Scan").contains("labels_idx");
        assertThat(admin.resultQuery("SELECT partition_interval || ' ' || retention::text FROM partition_policies WHERE table_name = 'build_metrics'")
                .fetchOne(0, String.class)).isEqualTo("day 30 days");
    }
}
