-- Analytics: rollups and dashboard queries.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.get_build_performance(p_from date, p_to date)
 RETURNS TABLE(day date, total_builds bigint, succeeded bigint, failed bigint, avg_duration_ms bigint, p95_duration_ms double precision, avg_cpu_seconds numeric, max_peak_memory_bytes bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT (q.completed_at AT TIME ZONE 'UTC')::date                      AS day,
           count(*)                                                       AS total_builds,
           count(*) FILTER (WHERE q.status = 'completed')                 AS succeeded,
           count(*) FILTER (WHERE q.status IN ('failed', 'timeout'))      AS failed,
           round(avg(r.duration_ms))::bigint                              AS avg_duration_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_ms)    AS p95_duration_ms,
           round(avg(r.cpu_seconds), 3)                                   AS avg_cpu_seconds,
           max(r.peak_memory_bytes)                                       AS max_peak_memory_bytes
      FROM public.build_queue q
      LEFT JOIN public.build_results r ON r.build_id = q.id
     WHERE q.status IN ('completed', 'failed', 'timeout')
       AND q.completed_at >= p_from::timestamp AT TIME ZONE 'UTC'
       AND q.completed_at < (p_to + 1)::timestamp AT TIME ZONE 'UTC'
     GROUP BY 1
     ORDER BY 1;
$function$;
COMMENT ON FUNCTION public.get_build_performance(date,date) IS 'Daily build performance (the columns of build_performance_summary) for the UTC days p_from..p_to, read through idx_build_queue_finished: cost proportional to the builds in the range.';

CREATE OR REPLACE FUNCTION public.get_cache_hit_rate(p_customer_id text DEFAULT NULL::text, p_days integer DEFAULT 7)
 RETURNS TABLE(customer_id text, total_accesses bigint, hits bigint, misses bigint, hit_rate numeric)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT d.customer_id,
           sum(d.hits + d.misses)::bigint                                          AS total_accesses,
           sum(d.hits)::bigint                                                     AS hits,
           sum(d.misses)::bigint                                                   AS misses,
           round(sum(d.hits)::numeric / nullif(sum(d.hits + d.misses), 0), 4)      AS hit_rate
      FROM public.cache_access_daily d
     WHERE (p_customer_id IS NULL OR d.customer_id = p_customer_id)
       AND d.day > (now() AT TIME ZONE 'UTC')::date - p_days
     GROUP BY d.customer_id
    HAVING sum(d.hits + d.misses) > 0
     ORDER BY d.customer_id;
$function$;
COMMENT ON FUNCTION public.get_cache_hit_rate(text,integer) IS 'Cache hit rate per customer over the last p_days UTC days including today (NULL customer: all), from the cache_access_daily rollup: cost independent of the access-log size.';

CREATE OR REPLACE FUNCTION public.rollup_cache_access()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    -- ordered, so concurrent statements lock rollup rows in the same order (no deadlock between two inserts)
    INSERT INTO public.cache_access_daily AS d (customer_id, day, hits, misses, first_access_at, last_access_at)
    SELECT n.customer_id, (n.accessed_at AT TIME ZONE 'UTC')::date,
           count(*) FILTER (WHERE n.access_type = 'hit'), count(*) FILTER (WHERE n.access_type = 'miss'),
           min(n.accessed_at), max(n.accessed_at)
      FROM new_rows n
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (customer_id, day) DO UPDATE
       SET hits            = d.hits + EXCLUDED.hits,
           misses          = d.misses + EXCLUDED.misses,
           first_access_at = least(d.first_access_at, EXCLUDED.first_access_at),
           last_access_at  = greatest(d.last_access_at, EXCLUDED.last_access_at);
    RETURN NULL;
END $function$;
COMMENT ON FUNCTION public.rollup_cache_access() IS 'Statement trigger: adds the hits and misses of the inserted access-log rows to cache_access_daily in one upsert.';
