-- Build metrics (seed 000's build_metrics time series, seed 001's metrics): batch recording and bucketed series.
-- Read and written by io.honua.db.metrics.BuildMetrics.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here (CREATE OR
-- REPLACE, re-runnable). The privileges are set right after each function: a versioned migration cannot grant on a
-- function that does not exist yet on a fresh database. Both functions run with the caller's rights, so build_metrics'
-- row-level security applies (V10: a metric row belongs to the tenant of its build; honua_app reads and writes only
-- the rows of the tenant in honua.tenant_id, honua_worker every tenant).

CREATE OR REPLACE FUNCTION public.record_build_metrics(p_build_id uuid, p_names text[], p_values double precision[],
                                                       p_labels jsonb[], p_recorded_at_ms bigint[])
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_n    INTEGER := coalesce(pg_catalog.cardinality(p_names), 0);
    v_rows INTEGER;
BEGIN
    IF p_build_id IS NULL THEN
        RAISE EXCEPTION 'build id must not be null' USING ERRCODE = '22023';
    END IF;
    IF v_n = 0 OR coalesce(pg_catalog.cardinality(p_values), 0) <> v_n
       OR coalesce(pg_catalog.cardinality(p_labels), 0) <> v_n
       OR coalesce(pg_catalog.cardinality(p_recorded_at_ms), 0) <> v_n THEN
        RAISE EXCEPTION 'metric arrays must be non-empty and of one length' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_names, p_values, p_labels, p_recorded_at_ms) AS u(n, v, l, t)
                WHERE u.n IS NULL OR u.v IS NULL OR u.t IS NULL OR u.v IN ('NaN', 'Infinity', '-Infinity')
                   OR (u.l IS NOT NULL AND pg_catalog.jsonb_typeof(u.l) <> 'object')) THEN
        RAISE EXCEPTION 'metric samples need a name, a finite value, a time and labels that are a JSON object'
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO public.build_metrics (build_id, metric_name, metric_value, labels, metric_timestamp)
    SELECT p_build_id, u.n, u.v, coalesce(u.l, '{}'::jsonb), pg_catalog.to_timestamp(u.t / 1000.0)
      FROM unnest(p_names, p_values, p_labels, p_recorded_at_ms) AS u(n, v, l, t);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END $function$;
COMMENT ON FUNCTION public.record_build_metrics(uuid, text[], double precision[], jsonb[], bigint[]) IS 'Records a batch of samples of one build with one INSERT (arrays of equal length: names, finite values, label objects, epoch milliseconds). Returns the number of rows written. Caller''s rights: row-level security applies.';
REVOKE EXECUTE ON FUNCTION public.record_build_metrics(uuid, text[], double precision[], jsonb[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.record_build_metrics(uuid, text[], double precision[], jsonb[], bigint[]) TO honua_app, honua_worker;

-- One metric in [p_from, p_to) in buckets of p_bucket (date_bin, aligned on p_from), optionally of one build, of one
-- customer's builds, and with labels containing p_labels. The statement is planned per call with the actual values
-- (EXECUTE ... USING; the fragments are constants, the values bind parameters), so each filter uses its index.
CREATE OR REPLACE FUNCTION public.build_metric_series(p_metric_name text, p_from timestamp with time zone,
                                                      p_to timestamp with time zone, p_bucket interval,
                                                      p_build_id uuid DEFAULT NULL, p_customer_id text DEFAULT NULL,
                                                      p_labels jsonb DEFAULT NULL)
 RETURNS TABLE(bucket_start timestamp with time zone, samples bigint, avg_value double precision,
               min_value double precision, max_value double precision, p95_value double precision)
 LANGUAGE plpgsql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    IF p_metric_name IS NULL OR p_from IS NULL OR p_to IS NULL OR p_bucket IS NULL OR p_to <= p_from
       OR p_bucket <= interval '0' OR pg_catalog.date_part('month', p_bucket) <> 0 OR pg_catalog.date_part('year', p_bucket) <> 0
       OR (p_labels IS NOT NULL AND pg_catalog.jsonb_typeof(p_labels) <> 'object') THEN
        RAISE EXCEPTION 'series needs a metric name, a range from < to, a positive bucket of days or less, labels as a JSON object'
            USING ERRCODE = '22023';
    END IF;
    RETURN QUERY EXECUTE
        'SELECT pg_catalog.date_bin($4, m.metric_timestamp, $2) AS b, pg_catalog.count(*), pg_catalog.avg(m.metric_value), '
        || 'pg_catalog.min(m.metric_value), pg_catalog.max(m.metric_value), '
        || 'pg_catalog.percentile_cont(0.95::double precision) WITHIN GROUP (ORDER BY m.metric_value) '
        || 'FROM public.build_metrics m '
        || 'WHERE m.metric_name = $1 AND m.metric_timestamp >= $2 AND m.metric_timestamp < $3'
        || CASE WHEN p_build_id IS NULL THEN '' ELSE ' AND m.build_id = $5' END
        || CASE WHEN p_customer_id IS NULL THEN ''
                ELSE ' AND m.build_id IN (SELECT q.id FROM public.build_queue q WHERE q.customer_id = $6)' END
        || CASE WHEN p_labels IS NULL THEN '' ELSE ' AND m.labels @> $7' END
        || ' GROUP BY 1 ORDER BY 1'
        USING p_metric_name, p_from, p_to, p_bucket, p_build_id, p_customer_id, p_labels;
END $function$;
COMMENT ON FUNCTION public.build_metric_series(text, timestamp with time zone, timestamp with time zone, interval, uuid, text, jsonb) IS 'Bucketed aggregates (count, avg, min, max, p95) of one metric over [from, to), buckets aligned on from; optional filters: build, customer, labels (@>). Empty buckets are absent. Caller''s rights: row-level security applies.';
REVOKE EXECUTE ON FUNCTION public.build_metric_series(text, timestamp with time zone, timestamp with time zone, interval, uuid, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.build_metric_series(text, timestamp with time zone, timestamp with time zone, interval, uuid, text, jsonb) TO honua_app, honua_worker;
