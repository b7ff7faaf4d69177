package io.honua.db.analytics;

import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.GET_CACHE_HIT_RATE;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.HonuaDb;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.jooq.DSLContext;
import org.jooq.Record3;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 5,000,000 access-log rows over 100 days for 50 customers: the 90-day hit rate of one customer reads the rollup
 * (the plan never touches build_access_log) and equals a full count over the raw log.
 */
class CacheHitRateAtScaleTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled();

    static final int ROWS = Integer.getInteger("honua.test.accessLogRows", 5_000_000);

    @Test
    void ninetyDayHitRateReadsTheRollupAndMatchesTheRawLog() {
        HonuaDb honua = fx.honua();
        DSLContext dsl = honua.dsl();
        honua.partitions().maintain();
        for (int i = 0; i < 50; i++) {
            Fixtures.customer(dsl, "scale-" + i);
        }
        // rows in time order over the last 100 days (index-friendly), every third a miss; all through the parent table
        // so the statement trigger maintains the rollup as in production
        var g = DSL.field(DSL.name("g"), Integer.class);
        double step = 100 * 86_400.0 / ROWS;
        dsl.insertInto(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID, BUILD_ACCESS_LOG.MANIFEST_HASH, BUILD_ACCESS_LOG.TIER,
                        BUILD_ACCESS_LOG.ACCESS_TYPE, BUILD_ACCESS_LOG.ACCESSED_AT)
                .select(DSL.select(
                                DSL.val("scale-").concat(g.mod(50)),
                                DSL.val(Fixtures.sha256("scale")),
                                DSL.val("free"),
                                DSL.when(g.mod(3).eq(0), DSL.val("miss")).otherwise(DSL.val("hit")),
                                DSL.field("now() - interval '100 days' + {0} * make_interval(secs => {1})", Instant.class,
                                        g, DSL.val(step)))
                        .from(DSL.table("generate_series(1, {0}) as t(g)", DSL.val(ROWS))))
                .execute();
        assertThat(dsl.fetchCount(BUILD_ACCESS_LOG)).isEqualTo(ROWS);
        dsl.execute("ANALYZE build_access_log");
        dsl.execute("ANALYZE cache_access_daily");

        String customer = "scale-7";
        // which tables the function reads, counted by the server for this transaction (the function pins its
        // search_path since issue 12, so the planner no longer inlines it and EXPLAIN shows only a function scan)
        String scans = "SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)) FILTER (WHERE relname LIKE 'build\\_access\\_log%'), 0)::bigint, "
                + "coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)) FILTER (WHERE relname = 'cache_access_daily'), 0)::bigint "
                + "FROM pg_stat_xact_user_tables";
        dsl.transaction(cfg -> {
            var before = cfg.dsl().fetchOne(scans);
            assertThat(cfg.dsl().selectFrom(GET_CACHE_HIT_RATE.call(customer, 90)).fetch()).hasSize(1);
            var after = cfg.dsl().fetchOne(scans);
            assertThat(after.get(0, Long.class)).as("scans of the raw log").isEqualTo(before.get(0, Long.class));
            assertThat(after.get(1, Long.class)).as("scans of the rollup").isGreaterThan(before.get(1, Long.class));
        });

        CacheHitRate viaLibrary = honua.analytics().cacheHitRate(customer, 90).orElseThrow();

        // the same period (today and the 89 UTC days before it) counted on the raw log
        Instant from = LocalDate.now(ZoneOffset.UTC).minusDays(89).atStartOfDay(ZoneOffset.UTC).toInstant();
        var raw = dsl.select(DSL.count(), DSL.count().filterWhere(BUILD_ACCESS_LOG.ACCESS_TYPE.eq("hit")),
                        DSL.count().filterWhere(BUILD_ACCESS_LOG.ACCESS_TYPE.eq("miss")))
                .from(BUILD_ACCESS_LOG)
                .where(BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customer)).and(BUILD_ACCESS_LOG.ACCESSED_AT.ge(from));
        String rawPlan = dsl.explain(raw).plan();
        assertThat(rawPlan).as("the comparison query does read the raw log").contains("build_access_log");
        Record3<Integer, Integer, Integer> counts = raw.fetchSingle();

        assertThat(counts.value1()).as("the window holds most, not all, of the customer's rows")
                .isGreaterThan(ROWS / 50 * 85 / 100).isLessThan(ROWS / 50);
        assertThat(viaLibrary.totalAccesses()).isEqualTo(counts.value1().longValue());
        assertThat(viaLibrary.hits()).isEqualTo(counts.value2().longValue());
        assertThat(viaLibrary.misses()).isEqualTo(counts.value3().longValue());
        assertThat(viaLibrary.hitRate()).isEqualByComparingTo(
                BigDecimal.valueOf(counts.value2()).divide(BigDecimal.valueOf(counts.value1()), 4, RoundingMode.HALF_UP));
    }
}
