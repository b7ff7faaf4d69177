-- The build queue: enqueue, claim, leases, completion, failure, retry, dependencies, events (seed functions included).
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.build_dependencies_before_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_status TEXT;
BEGIN
    -- Serialise edge inserts so that two concurrent inserts cannot close a cycle together.
    PERFORM pg_advisory_xact_lock(hashtext('honua.build_dependencies'));
    SELECT status INTO v_status FROM build_queue WHERE id = NEW.build_id;
    IF v_status IS DISTINCT FROM 'queued' THEN
        RAISE EXCEPTION 'build % is %, dependencies can only be added to queued builds', NEW.build_id, coalesce(v_status, 'unknown')
            USING ERRCODE = 'HQ002';
    END IF;
    IF EXISTS (
        WITH RECURSIVE upstream(id) AS (
            SELECT NEW.depends_on_build_id
            UNION
            SELECT d.depends_on_build_id FROM build_dependencies d JOIN upstream u ON d.build_id = u.id
        )
        SELECT 1 FROM upstream WHERE id = NEW.build_id
    ) THEN
        RAISE EXCEPTION 'dependency cycle: build % already depends on build %', NEW.depends_on_build_id, NEW.build_id
            USING ERRCODE = 'HQ001';
    END IF;
    -- FOR SHARE: the dependency cannot complete between this check and the counter update.
    SELECT status INTO v_status FROM build_queue WHERE id = NEW.depends_on_build_id FOR SHARE;
    IF v_status IS DISTINCT FROM 'completed' THEN
        UPDATE build_queue SET pending_dependencies = pending_dependencies + 1 WHERE id = NEW.build_id;
    END IF;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.build_queue_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO build_events (build_id, event_type, seq, event_data, trace_id, correlation_id)
    SELECT n.id, 'queued', n.event_seq,
           jsonb_strip_nulls(jsonb_build_object('priority', n.priority, 'not_before', n.not_before)),
           n.trace_id, n.correlation_id
      FROM new_rows n;
    PERFORM pg_notify('honua_build_queue', 'queued');
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.build_queue_after_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_requeued BOOLEAN;
BEGIN
    -- statement-level triggers also fire for statements that changed nothing
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    -- 1. one event per status change, numbered by the row's event_seq
    INSERT INTO build_events (build_id, event_type, seq, event_data, trace_id, correlation_id)
    SELECT n.id,
           CASE
               WHEN n.status = 'building' THEN 'claimed'
               -- a failed attempt waiting for its backoff
               WHEN n.status = 'queued' AND o.status = 'building' AND n.attempts = o.attempts
                    AND n.not_before > now() THEN 'retried'
               -- lease expired, or released by the worker
               WHEN n.status = 'queued' AND o.status = 'building' THEN 'requeued'
               WHEN n.status = 'queued' THEN 'retried'
               ELSE n.status
           END,
           n.event_seq,
           jsonb_strip_nulls(jsonb_build_object(
               'from', o.status,
               'worker_id', coalesce(n.worker_id, o.worker_id),
               'attempt', n.attempts,
               'error', CASE WHEN n.status IN ('failed', 'timeout') OR (n.status = 'queued' AND o.status = 'building')
                             THEN n.last_error END,
               'not_before', CASE WHEN n.status = 'queued' THEN n.not_before END)),
           n.trace_id, n.correlation_id
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE n.status IS DISTINCT FROM o.status;

    -- 2. running counters, rows locked in key order (claimers lock in the same order: no deadlock)
    WITH delta AS (
        SELECT customer_id, sum(d)::int AS d FROM (
            SELECT n.customer_id, 1 AS d FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE n.status = 'building' AND o.status IS DISTINCT FROM 'building'
            UNION ALL
            SELECT o.customer_id, -1 FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE o.status = 'building' AND n.status IS DISTINCT FROM 'building'
        ) x GROUP BY customer_id HAVING sum(d) <> 0
    ), locked AS (
        SELECT s.customer_id FROM build_queue_slots s WHERE s.customer_id IN (SELECT customer_id FROM delta)
         ORDER BY s.customer_id FOR UPDATE
    )
    UPDATE build_queue_slots s SET running_builds = s.running_builds + delta.d
      FROM delta, locked
     WHERE s.customer_id = delta.customer_id AND locked.customer_id = delta.customer_id;

    -- 3. a completed build releases its dependents
    UPDATE build_queue b
       SET pending_dependencies = b.pending_dependencies - x.k
      FROM (SELECT d.build_id, count(*)::int AS k
              FROM new_rows n JOIN old_rows o ON o.id = n.id
              JOIN build_dependencies d ON d.depends_on_build_id = n.id
             WHERE n.status = 'completed' AND o.status IS DISTINCT FROM 'completed'
             GROUP BY d.build_id) x
     WHERE b.id = x.build_id;

    -- 4. wake idle workers when something became claimable
    SELECT EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE (n.status = 'queued' AND o.status IS DISTINCT FROM 'queued')
                       OR (n.pending_dependencies = 0 AND o.pending_dependencies > 0)
                       OR (o.status = 'building' AND n.status <> 'building'))
      INTO v_requeued;
    IF v_requeued THEN
        PERFORM pg_notify('honua_build_queue', 'queued');
    END IF;
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.build_queue_before_write()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.claim_rank IS NULL THEN
            NEW.claim_rank := (extract(epoch FROM NEW.queued_at) * 1000)::bigint - NEW.priority * 60000::bigint;
        END IF;
        NEW.event_seq := 1;
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        NEW.event_seq := OLD.event_seq + 1;
    END IF;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.build_queue_slots_for_new_customer()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO build_queue_slots (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.cancel_build(p_build_id uuid, p_reason text DEFAULT NULL::text)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    UPDATE build_queue
       SET status = 'cancelled', completed_at = now(), lease_expires_at = NULL,
           last_error = coalesce(p_reason, last_error)
     WHERE id = p_build_id AND status IN ('queued', 'building')
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.cancel_build(uuid,text) IS 'Cancels a queued or running build; the worker of a running build learns it at its next heartbeat.';

CREATE OR REPLACE FUNCTION public.claim_builds(p_worker_id text, p_limit integer, p_lease_seconds integer DEFAULT 60)
 RETURNS SETOF build_queue
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    IF p_worker_id IS NULL OR length(p_worker_id) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'worker id must be 1..200 characters' USING ERRCODE = '22023';
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 0 AND 1000 THEN
        RAISE EXCEPTION 'claim limit must be 0..1000, got %', p_limit USING ERRCODE = '22023';
    END IF;
    IF p_lease_seconds IS NULL OR p_lease_seconds NOT BETWEEN 1 AND 86400 THEN
        RAISE EXCEPTION 'lease must be 1..86400 seconds, got %', p_lease_seconds USING ERRCODE = '22023';
    END IF;
    IF p_limit = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH RECURSIVE active (customer_id) AS (
        -- loose index scan: the distinct customers that have queued builds
        (SELECT q.customer_id FROM build_queue q WHERE q.status = 'queued' ORDER BY q.customer_id LIMIT 1)
        UNION ALL
        SELECT (SELECT q.customer_id FROM build_queue q
                 WHERE q.status = 'queued' AND q.customer_id > a.customer_id
                 ORDER BY q.customer_id LIMIT 1)
          FROM active a WHERE a.customer_id IS NOT NULL
    ), slots AS (
        -- lock each such customer's running counter (key order); the locked row version is the latest committed one
        SELECT s.customer_id, s.running_builds
          FROM build_queue_slots s
         WHERE s.customer_id IN (SELECT a.customer_id FROM active a WHERE a.customer_id IS NOT NULL)
         ORDER BY s.customer_id
           FOR UPDATE
    ), free AS (
        SELECT sl.customer_id,
               greatest(least(coalesce(lic.cap, 2147483647) - sl.running_builds, p_limit), 0) AS free
          FROM slots sl
          LEFT JOIN LATERAL (
              SELECT max(l.max_concurrent_builds) AS cap
                FROM licenses l
               WHERE l.customer_id = sl.customer_id
                 AND l.status IN ('active', 'trial')
                 AND (l.expires_at IS NULL OR l.expires_at > now())
          ) lic ON TRUE
    ), picked AS (
        SELECT c.id, c.claim_rank,
               row_number() OVER (PARTITION BY c.customer_id ORDER BY c.claim_rank) AS turn
          FROM free f
          CROSS JOIN LATERAL (
              SELECT q.id, q.customer_id, q.claim_rank
                FROM build_queue q
               WHERE q.customer_id = f.customer_id
                 AND q.status = 'queued'
                 AND q.pending_dependencies = 0
                 AND q.not_before <= now()
               ORDER BY q.claim_rank
               LIMIT f.free
                 FOR UPDATE SKIP LOCKED
          ) c
    ), chosen AS (
        -- fair share: every customer's best build first, then every customer's second best, ...
        SELECT p.id FROM picked p ORDER BY p.turn, p.claim_rank LIMIT p_limit
    ), claimed AS (
    UPDATE build_queue b
       SET status           = 'building',
           worker_id        = p_worker_id,
           started_at       = now(),
           heartbeat_at     = now(),
           completed_at     = NULL,
           lease_seconds    = p_lease_seconds,
           lease_expires_at = now() + make_interval(secs => p_lease_seconds),
           attempts         = b.attempts + 1,
           progress_percent = 0,
           current_step     = NULL
      FROM chosen
     WHERE b.id = chosen.id
    RETURNING b.*
    )
    SELECT * FROM claimed ORDER BY claimed.claim_rank;
END $function$;
COMMENT ON FUNCTION public.claim_builds(text,integer,integer) IS 'Atomically claims up to p_limit claimable builds for a worker with a lease. Order: per-customer fair share, then claim_rank (priority with aging). A customer never exceeds its license max_concurrent_builds. Rows locked by other claimers are skipped, so concurrent claimers never block each other on builds and never claim the same build.';

CREATE OR REPLACE FUNCTION public.complete_build(p_build_id uuid, p_worker_id text, p_trace_id text DEFAULT NULL::text, p_correlation_id text DEFAULT NULL::text)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    UPDATE build_queue
       SET status = 'completed', completed_at = now(), progress_percent = 100, lease_expires_at = NULL,
           trace_id = coalesce(p_trace_id, trace_id), correlation_id = coalesce(p_correlation_id, correlation_id)
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.complete_build(uuid,text,text,text) IS 'Marks a build held by p_worker_id completed.';

CREATE OR REPLACE FUNCTION public.complete_build_with_result(p_build_id uuid, p_worker_id text, p_exit_code integer, p_duration_ms bigint, p_cpu_seconds numeric, p_peak_memory_bytes bigint, p_image_reference text, p_image_digest text, p_image_size_bytes bigint, p_layer_count integer, p_stdout_log text, p_stderr_log text)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    WITH done AS (
        UPDATE build_queue
           SET status = 'completed', completed_at = now(), progress_percent = 100, lease_expires_at = NULL
         WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
        RETURNING *
    ), result AS (
        INSERT INTO build_results (build_id, success, exit_code, duration_ms, cpu_seconds, peak_memory_bytes, image_reference,
                                   image_digest, image_size_bytes, layer_count, stdout_log, stderr_log)
        SELECT d.id, TRUE, p_exit_code, p_duration_ms, p_cpu_seconds, p_peak_memory_bytes, p_image_reference, p_image_digest,
               p_image_size_bytes, p_layer_count, p_stdout_log, p_stderr_log
          FROM done d
            ON CONFLICT (build_id) DO UPDATE
           SET success = TRUE, exit_code = EXCLUDED.exit_code, duration_ms = EXCLUDED.duration_ms
    )
    SELECT * FROM done;
$function$;
COMMENT ON FUNCTION public.complete_build_with_result(uuid,text,integer,bigint,numeric,bigint,text,text,bigint,integer,text,text) IS 'Marks a build held by p_worker_id completed and writes its build_results row, atomically. No row: not held.';

CREATE OR REPLACE FUNCTION public.enqueue_builds(p_customer_ids text[], p_priorities integer[], p_manifest_ids uuid[], p_manifest_hashes text[], p_idempotency_keys text[], p_not_before_ms bigint[], p_timeout_seconds integer[], p_max_attempts integer[], p_build_configs text[], p_trace_ids text[], p_correlation_ids text[], p_aging_ms bigint)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    INSERT INTO build_queue (customer_id, priority, manifest_id, manifest_hash, idempotency_key, not_before, timeout_seconds,
                             max_attempts, build_config, claim_rank, trace_id, correlation_id)
    SELECT u.customer_id, u.priority, u.manifest_id, u.manifest_hash, u.idempotency_key,
           coalesce(to_timestamp(u.not_before_ms / 1000.0), now()),
           coalesce(u.timeout_seconds, 3600),          -- the column defaults of V2
           coalesce(u.max_attempts, 3),
           coalesce(u.build_config, '{}')::jsonb,
           coalesce(u.not_before_ms, (extract(epoch FROM now()) * 1000)::bigint) - u.priority * p_aging_ms,
           u.trace_id, u.correlation_id
      FROM unnest(p_customer_ids, p_priorities, p_manifest_ids, p_manifest_hashes, p_idempotency_keys, p_not_before_ms,
                  p_timeout_seconds, p_max_attempts, p_build_configs, p_trace_ids, p_correlation_ids)
           WITH ORDINALITY AS u(customer_id, priority, manifest_id, manifest_hash, idempotency_key, not_before_ms,
                                timeout_seconds, max_attempts, build_config, trace_id, correlation_id, ord)
     ORDER BY u.ord
        ON CONFLICT (customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.enqueue_builds(text[],integer[],uuid[],text[],text[],bigint[],integer[],integer[],text[],text[],text[],bigint) IS 'Enqueues a batch of builds in one statement; claim_rank = start time in ms minus priority x p_aging_ms.';

CREATE OR REPLACE FUNCTION public.fail_build(p_build_id uuid, p_worker_id text, p_error text, p_backoff_base_seconds integer DEFAULT 5, p_backoff_max_seconds integer DEFAULT 600, p_trace_id text DEFAULT NULL::text, p_correlation_id text DEFAULT NULL::text)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    UPDATE build_queue
       SET status           = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
           worker_id        = CASE WHEN attempts < max_attempts THEN NULL ELSE worker_id END,
           last_error       = p_error,
           lease_expires_at = NULL,
           completed_at     = CASE WHEN attempts < max_attempts THEN NULL ELSE now() END,
           -- exponential backoff: base * 2^(attempts-1), capped
           not_before       = CASE WHEN attempts < max_attempts
                                   THEN now() + make_interval(secs => least(p_backoff_max_seconds::float8,
                                                                            p_backoff_base_seconds * power(2, greatest(attempts - 1, 0))))
                                   ELSE not_before END,
           trace_id = coalesce(p_trace_id, trace_id), correlation_id = coalesce(p_correlation_id, correlation_id)
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.fail_build(uuid,text,text,integer,integer,text,text) IS 'A build held by p_worker_id failed: requeued after exponential backoff while attempts remain, else failed.';

CREATE OR REPLACE FUNCTION public.get_next_build_for_worker(p_worker_id text)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT * FROM claim_builds(p_worker_id, 1, 60);
$function$;
COMMENT ON FUNCTION public.get_next_build_for_worker(text) IS 'Atomically assigns the next queued build to a worker (none: no row).';

CREATE OR REPLACE FUNCTION public.handle_build_timeouts()
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    WITH expired AS (
        SELECT id FROM build_queue
         WHERE status = 'building'
           AND (lease_expires_at < now() OR started_at + make_interval(secs => timeout_seconds) < now())
         ORDER BY id
           FOR UPDATE SKIP LOCKED
    )
    UPDATE build_queue b
       SET status           = CASE WHEN b.attempts < b.max_attempts THEN 'queued' ELSE 'timeout' END,
           last_error       = CASE WHEN b.started_at + make_interval(secs => b.timeout_seconds) < now()
                                   THEN 'build exceeded its timeout of ' || b.timeout_seconds || ' s'
                                   ELSE 'lease expired: worker ' || b.worker_id || ' stopped sending heartbeats' END,
           worker_id        = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE b.worker_id END,
           lease_expires_at = NULL,
           not_before       = now(),
           completed_at     = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE now() END
      FROM expired
     WHERE b.id = expired.id;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.handle_build_timeouts() IS 'Marks builds running past their timeout as timed out. Returns how many.';

CREATE OR REPLACE FUNCTION public.heartbeat_build(p_build_id uuid, p_worker_id text)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    UPDATE build_queue
       SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => lease_seconds)
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.heartbeat_build(uuid,text) IS 'Extends the lease of a build held by p_worker_id.';

CREATE OR REPLACE FUNCTION public.release_build(p_build_id uuid, p_worker_id text)
 RETURNS SETOF build_queue
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    UPDATE build_queue
       SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, not_before = now(),
           attempts = greatest(attempts - 1, 0), progress_percent = 0, current_step = NULL
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.release_build(uuid,text) IS 'A worker gives back a build it has not started (graceful shutdown): requeued at once, the attempt not counted.';

CREATE OR REPLACE FUNCTION public.retry_failed_build(p_build_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    UPDATE build_queue
       SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, completed_at = NULL,
           not_before = now(), progress_percent = 0, current_step = NULL
     WHERE id = p_build_id AND status IN ('failed', 'timeout') AND attempts < max_attempts;
    RETURN FOUND;
END $function$;
COMMENT ON FUNCTION public.retry_failed_build(uuid) IS 'Requeues a failed or timed-out build that has attempts left.';

CREATE OR REPLACE FUNCTION public.stuck_builds(p_older_than_seconds integer DEFAULT 3600)
 RETURNS SETOF build_queue
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT * FROM build_queue
     WHERE status = 'building' AND started_at < now() - make_interval(secs => p_older_than_seconds)
     ORDER BY started_at;
$function$;
COMMENT ON FUNCTION public.stuck_builds(integer) IS 'Builds building for longer than the given number of seconds, oldest first.';

CREATE OR REPLACE FUNCTION public.update_build_progress(p_build_id uuid, p_worker_id text, p_progress_percent integer, p_current_step text)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_found BOOLEAN;
BEGIN
    IF p_progress_percent IS NULL OR p_progress_percent NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'progress must be 0..100, got %', p_progress_percent USING ERRCODE = '22023';
    END IF;
    UPDATE build_queue
       SET progress_percent = p_progress_percent,
           current_step     = p_current_step,
           heartbeat_at     = now(),
           lease_expires_at = now() + make_interval(secs => lease_seconds)
     WHERE id = p_build_id AND status = 'building' AND worker_id = p_worker_id;
    v_found := FOUND;
    RETURN v_found;
END $function$;
COMMENT ON FUNCTION public.update_build_progress(uuid,text,integer,text) IS 'Updates real-time progress of a build; only the worker holding it may. False when it does not.';
