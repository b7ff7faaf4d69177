package io.honua.db.metrics;

import static io.honua.db.schema.generated.Tables.BUILD_METRIC_SERIES;

import io.honua.db.internal.Checks;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.SqlErrors;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.schema.generated.Routines;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.jooq.exception.DataAccessException;
import org.jooq.types.YearToSecond;

/**
 * Build metrics: the {@code build_metrics} time series (CPU, memory, test counts, ... per build), recorded in batches
 * and read as bucketed series. Obtained from {@code HonuaDb.buildMetrics()} (all tenants under {@code honua_worker})
 * or {@code TenantScope.buildMetrics()} (one tenant under {@code honua_app}).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>One statement per batch</b>: {@link #record} writes all samples of a call with one {@code INSERT ...
 *       SELECT FROM unnest(arrays)} ({@code record_build_metrics}), atomically; the statement texts of
 *       {@link #record} and {@link #series} are rendered once per instance and only re-bound.</li>
 *   <li><b>Tenancy</b>: the SQL functions run with the caller's rights, so row-level security applies (V10: a metric
 *       row belongs to the tenant of its build). Under {@code honua_app}, another tenant's build is an unknown build
 *       and its samples are invisible to {@link #series}.</li>
 *   <li><b>Retention</b>: {@code build_metrics} is partitioned by day; {@code maintain_partitions()} drops the days
 *       past the policy's retention (30 days by default, {@code partition_policies}).</li>
 *   <li><b>Bad input</b> (null, empty or oversized batch, non-finite value, malformed range) raises
 *       {@link InvalidRequestException}; an unknown build raises {@link UnknownBuildException}; nothing is written then.</li>
 * </ul>
 * Thread-safe; share one instance.
 */
public final class BuildMetrics {

    /** Largest batch {@link #record} accepts. */
    public static final int MAX_BATCH = 10_000;
    private static final String RLS_VIOLATION = "42501";

    private final DSLContext dsl;
    private final String recordSql;
    private final String seriesSql;

    public BuildMetrics(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.recordSql = dsl.render(dsl.select(Routines.recordBuildMetrics((UUID) null, (String[]) null, (Double[]) null,
                (JSONB[]) null, (Long[]) null)));
        this.seriesSql = dsl.render(dsl.selectFrom(BUILD_METRIC_SERIES.call((String) null, (java.time.Instant) null,
                (java.time.Instant) null, (YearToSecond) null, (UUID) null, (String) null, (JSONB) null)));
    }

    /**
     * Records samples of one build with one statement, in one transaction (the caller's, when it has one).
     *
     * @param samples 1..{@value #MAX_BATCH} samples
     * @return the number of samples written (all of them)
     * @throws UnknownBuildException   no such build (or not visible to the caller's tenant)
     * @throws InvalidRequestException null or empty batch, more than {@value #MAX_BATCH} samples
     */
    public int record(UUID buildId, List<MetricSample> samples) {
        Checks.notNull(buildId, "buildId");
        Checks.noNulls(samples, "samples");
        if (samples.isEmpty() || samples.size() > MAX_BATCH) {
            throw new InvalidRequestException("a batch holds 1.." + MAX_BATCH + " samples, got " + samples.size());
        }
        int n = samples.size();
        String[] names = new String[n];
        Double[] values = new Double[n];
        JSONB[] labels = new JSONB[n];
        Long[] at = new Long[n];
        for (int i = 0; i < n; i++) {
            MetricSample s = samples.get(i);
            names[i] = s.name();
            values[i] = s.value();
            labels[i] = s.labels().isEmpty() ? null : JSONB.valueOf(Labels.json(s.labels()));
            at[i] = s.at().toEpochMilli();
        }
        return call(buildId, () -> dsl.resultQuery(recordSql, buildId, names, values, labels, at).fetchSingle().get(0, Integer.class));
    }

    /** {@link #record(UUID, List)} of one sample. */
    public int record(UUID buildId, MetricSample sample) {
        return record(buildId, List.of(Checks.notNull(sample, "sample")));
    }

    /**
     * Bucketed aggregates of one metric: one {@link MetricBucket} per bucket that holds samples, oldest first (empty
     * buckets are absent). Samples the caller's tenant may not see are not counted.
     */
    public List<MetricBucket> series(SeriesQuery query) {
        Checks.notNull(query, "query");
        JSONB labels = query.labels().isEmpty() ? null : JSONB.valueOf(Labels.json(query.labels()));
        // rendered once (see the constructor); typed bind values so that nulls and intervals bind as the parameters' types
        return call(null, () -> dsl.resultQuery(seriesSql,
                        DSL.val(query.metricName(), SQLDataType.CLOB),
                        DSL.val(query.from(), SQLDataType.INSTANT),
                        DSL.val(query.to(), SQLDataType.INSTANT),
                        DSL.val(YearToSecond.valueOf(query.bucket()), SQLDataType.INTERVAL),
                        DSL.val(query.buildId().orElse(null), SQLDataType.UUID),
                        DSL.val(query.customerId().orElse(null), SQLDataType.CLOB),
                        DSL.val(labels, SQLDataType.JSONB))
                .coerce(BUILD_METRIC_SERIES)
                .fetch(r -> new MetricBucket(r.getBucketStart(), r.getSamples(), r.getAvgValue(), r.getMinValue(),
                        r.getMaxValue(), r.getP95Value())));
    }

    private static <T> T call(UUID buildId, Supplier<T> action) {
        try {
            return action.get();
        } catch (DataAccessException e) {
            throw translate(e, buildId);
        }
    }

    private static HonuaException translate(DataAccessException e, UUID buildId) {
        var own = SqlErrors.thrownByHonua(e);
        if (own.isPresent()) {
            return own.get();
        }
        String state = e.sqlState();
        if (buildId != null && (SqlErrors.FOREIGN_KEY_VIOLATION.equals(state) || RLS_VIOLATION.equals(state))) {
            return new UnknownBuildException("unknown build " + buildId, e);
        }
        return SqlErrors.translate(e, "build metrics");
    }
}
