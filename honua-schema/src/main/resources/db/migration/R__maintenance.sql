-- Maintenance jobs of the seed (log cleanup, purge of soft-deleted records).
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.cleanup_old_build_logs(p_retention_days integer DEFAULT 90)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_retention_days IS NULL OR p_retention_days < 1 THEN
        RAISE EXCEPTION 'retention must be >= 1 day, got %', p_retention_days USING ERRCODE = '22023';
    END IF;
    UPDATE public.build_results
       SET stdout_log = NULL, stderr_log = NULL, logs_truncated_at = now()
     WHERE created_at < now() - make_interval(days => p_retention_days)
       AND (stdout_log IS NOT NULL OR stderr_log IS NOT NULL);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    -- the logs kept with every attempt (V17) age out the same way
    UPDATE public.build_attempts
       SET stdout_log = NULL, stderr_log = NULL
     WHERE ended_at < now() - make_interval(days => p_retention_days)
       AND (stdout_log IS NOT NULL OR stderr_log IS NOT NULL);
    DELETE FROM public.build_access_log WHERE accessed_at < now() - make_interval(days => p_retention_days);
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.cleanup_old_build_logs(integer) IS 'Truncates build logs (results and attempts) older than the retention (default 90 days) and deletes old access-log rows. Returns truncated results.';

CREATE OR REPLACE FUNCTION public.purge_soft_deleted_records(p_retention_days integer DEFAULT 30)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_retention_days IS NULL OR p_retention_days < 0 THEN
        RAISE EXCEPTION 'retention must be >= 0 days, got %', p_retention_days USING ERRCODE = '22023';
    END IF;
    -- build_queue references customers with RESTRICT: remove the purged customers' builds first, on purpose.
    DELETE FROM public.build_queue q
     USING public.customers c
     WHERE q.customer_id = c.customer_id
       AND c.deleted_at < now() - make_interval(days => p_retention_days);
    DELETE FROM public.customers WHERE deleted_at < now() - make_interval(days => p_retention_days);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.purge_soft_deleted_records(integer) IS 'Permanently deletes customers soft-deleted longer than the retention (default 30 days), with all their data.';
