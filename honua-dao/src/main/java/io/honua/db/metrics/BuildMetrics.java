package io.honua.db.metrics;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.BUILD_METRIC_SERIES;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Direct;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.schema.generated.Routines;
import java.sql.Connection;
import java.sql.Types;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
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

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.METRICS);

    /** Largest batch {@link #record} accepts. */
    public static final int MAX_BATCH = 10_000;

    private final DSLContext dsl;
    private final String recordSql;
    private final String seriesSql;

    BuildMetrics(DSLContext dsl) {
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
        Long[] at = new Long[n];
        boolean direct = Direct.applies(dsl);
        String[] labelTexts = direct ? new String[n] : null;
        JSONB[] labels = direct ? null : new JSONB[n];
        for (int i = 0; i < n; i++) {
            MetricSample s = samples.get(i);
            names[i] = s.name();
            values[i] = s.value();
            String json = s.labels().isEmpty() ? null : Labels.json(s.labels());
            if (direct) {
                labelTexts[i] = json;
            } else {
                labels[i] = json == null ? null : JSONB.valueOf(json);
            }
            at[i] = s.at().toEpochMilli();
        }
        if (direct) {
            // the parameters are cast to their array types in the statement text; arrays bound as JDBC arrays
            return call(ERRORS.build(buildId), () -> Direct.query(dsl, recordSql, ps -> {
                Connection c = ps.getConnection();
                ps.setObject(1, buildId);
                ps.setArray(2, c.createArrayOf("text", names));
                ps.setArray(3, c.createArrayOf("float8", values));
                ps.setArray(4, c.createArrayOf("jsonb", labelTexts));
                ps.setArray(5, c.createArrayOf("int8", at));
            }, rs -> {
                rs.next();
                return rs.getInt(1);
            }));
        }
        return call(ERRORS.build(buildId), () -> dsl.resultQuery(recordSql, buildId, names, values, labels, at).fetchSingle().get(0, Integer.class));
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
        if (Direct.applies(dsl)) {
            return call(ERRORS, () -> Direct.query(dsl, seriesSql, ps -> {
                ps.setString(1, query.metricName());
                ps.setObject(2, OffsetDateTime.ofInstant(query.from(), ZoneOffset.UTC));
                ps.setObject(3, OffsetDateTime.ofInstant(query.to(), ZoneOffset.UTC));
                ps.setString(4, interval(query.bucket()));
                if (query.buildId().isPresent()) {
                    ps.setObject(5, query.buildId().get());
                } else {
                    ps.setNull(5, Types.OTHER);
                }
                ps.setString(6, query.customerId().orElse(null));
                ps.setString(7, labels == null ? null : labels.data());
            }, rs -> {
                List<MetricBucket> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new MetricBucket(rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getLong(2), rs.getDouble(3),
                            rs.getDouble(4), rs.getDouble(5), rs.getDouble(6)));
                }
                return out;
            }));
        }
        // rendered once (see the constructor); typed bind values so that nulls and intervals bind as the parameters' types
        return call(ERRORS, () -> dsl.resultQuery(seriesSql,
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

    /** PostgreSQL interval text of a bucket: whole seconds and microseconds (the interval type's precision). */
    static String interval(Duration bucket) {
        long micros = bucket.toNanos() / 1_000;
        return String.format(Locale.ROOT, "%d.%06d seconds", micros / 1_000_000, micros % 1_000_000);
    }
}
