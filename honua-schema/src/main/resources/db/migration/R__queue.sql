-- The build queue: enqueue, claim, leases, completion, failure, retry, dependencies, events, fair share (seed
-- functions included).
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants of functions that
-- existed before V14 are in the versioned migrations; functions first created here get theirs right after their
-- CREATE (they do not exist when the versioned migrations run), idempotently.
--
-- Scheduling (V14, issue 11). build_queue_runnable holds one row per customer with queued builds:
--   ready      the customer may have claimable builds now; claimers take ready rows in (vtime, head_rank) order with
--              FOR UPDATE SKIP LOCKED, so a claim touches O(n) customers for n builds and never waits for another.
--   vtime      fair-share virtual time: each claimed build advances it by 10^9 / weight (stride scheduling), so
--              backlogged customers get claims in proportion to their weights; equal weights are round robin.
--   head_rank  claim_rank of the customer's best claimable build: among equal vtimes the better build goes first,
--              so aging still lets an old low-priority build overtake fresh high-priority ones.
--   at_cap     not ready because its running builds reached the license cap; a finishing build makes it ready.
--   capped     it had a cap at its last claim: only then do finishing builds touch the row.
--   wake_at    a not-ready row becomes ready at this instant (deferred builds; a 10 s re-check of capped ones).
-- Lost wake-ups are impossible because every writer that can make a customer claimable (enqueue, requeue,
-- dependency release, a finishing build of a capped customer) locks the customer's row (FOR KEY SHARE when it is
-- ready, an upsert otherwise) in its own transaction, and a claimer only marks a row not ready while holding it
-- FOR UPDATE (which conflicts with FOR KEY SHARE) and judging from a snapshot taken after it got that lock. Claimers
-- otherwise lock rows FOR NO KEY UPDATE SKIP LOCKED, which writers' FOR KEY SHARE does not conflict with: enqueues
-- and completions never make claimers skip a customer, and never wait for them.

-- ---------------------------------------------------------------------------------------------------------------------
-- Triggers on build_queue and build_dependencies
-- ---------------------------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION public.build_dependencies_before_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_status TEXT;
BEGIN
    -- Serialise the edge inserts of a tenant so that two concurrent inserts cannot close a cycle together: lock rows
    -- of the customers of both ends (one for the application role, which references only its own builds), in key
    -- order; honua_locks rows of another tenant are out of the application role's reach (V16).
    INSERT INTO public.honua_locks (scope, key)
    SELECT 'dependencies', q.customer_id FROM public.build_queue q WHERE q.id IN (NEW.build_id, NEW.depends_on_build_id)
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM public.honua_locks l
     WHERE l.scope = 'dependencies'
       AND l.key IN (SELECT q.customer_id FROM public.build_queue q WHERE q.id IN (NEW.build_id, NEW.depends_on_build_id))
     ORDER BY l.key FOR UPDATE;
    SELECT q.status INTO v_status FROM public.build_queue q WHERE q.id = NEW.build_id;
    IF v_status IS DISTINCT FROM 'queued' THEN
        RAISE EXCEPTION 'build % is %, dependencies can only be added to queued builds', NEW.build_id, coalesce(v_status, 'unknown')
            USING ERRCODE = 'HQ002';
    END IF;
    IF EXISTS (
        WITH RECURSIVE upstream(id) AS (
            SELECT NEW.depends_on_build_id
            UNION
            SELECT d.depends_on_build_id FROM public.build_dependencies d JOIN upstream u ON d.build_id = u.id
        )
        SELECT 1 FROM upstream WHERE id = NEW.build_id
    ) THEN
        RAISE EXCEPTION 'dependency cycle: build % already depends on build %', NEW.depends_on_build_id, NEW.build_id
            USING ERRCODE = 'HQ001';
    END IF;
    -- FOR SHARE: the dependency cannot complete between this check and the counter update.
    SELECT q.status INTO v_status FROM public.build_queue q WHERE q.id = NEW.depends_on_build_id FOR SHARE;
    IF v_status IS DISTINCT FROM 'completed' THEN
        UPDATE public.build_queue SET pending_dependencies = pending_dependencies + 1 WHERE id = NEW.build_id;
    END IF;
    RETURN NEW;
END $function$;

-- Wakes idle workers (LISTEN honua_build_queue): at most one notification per transaction, none when the setting
-- honua.queue_notify is 'off' (per database, role, session or transaction, or enqueue_builds(..., p_notify => false)).
CREATE OR REPLACE FUNCTION public.build_queue_notify()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    IF coalesce(current_setting('honua.queue_notify', true), '') <> 'off'
       AND coalesce(current_setting('honua.queue_notified', true), '') <> 'on' THEN
        PERFORM pg_notify('honua_build_queue', 'queued');
        PERFORM set_config('honua.queue_notified', 'on', true);   -- until the end of this transaction
    END IF;
END $function$;
COMMENT ON FUNCTION public.build_queue_notify() IS 'NOTIFY honua_build_queue once per transaction unless honua.queue_notify = off (used by the queue triggers).';
REVOKE EXECUTE ON FUNCTION public.build_queue_notify() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.build_queue_notify() TO honua_app, honua_worker;

CREATE OR REPLACE FUNCTION public.build_queue_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    INSERT INTO public.build_events (build_id, event_type, seq, event_data, trace_id, correlation_id)
    SELECT n.id, 'queued', n.event_seq,
           jsonb_strip_nulls(jsonb_build_object('priority', n.priority, 'not_before', n.not_before)),
           n.trace_id, n.correlation_id
      FROM new_rows n;
    -- idle workers are woken by build_queue_wake when a customer becomes claimable (trg_build_queue_runnable_insert)
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.build_queue_after_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_wake      BOOLEAN;
    v_ended     BOOLEAN;   -- an attempt ended (a row left 'building'): build_attempts rows to write
    v_completed BOOLEAN;   -- a build completed: dependents to release
BEGIN
    -- one pass over the changed rows decides what is to do (heartbeats and progress change no status: nothing; a
    -- claim writes only its events)
    SELECT bool_or((n.status = 'queued' AND o.status IS DISTINCT FROM 'queued')
                   OR (n.pending_dependencies = 0 AND o.pending_dependencies > 0)
                   OR (o.status = 'building' AND n.status <> 'building')),
           bool_or(o.status = 'building' AND n.status <> 'building'),
           bool_or(n.status = 'completed' AND o.status IS DISTINCT FROM 'completed')
      INTO v_wake, v_ended, v_completed
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE n.status IS DISTINCT FROM o.status OR n.pending_dependencies <> o.pending_dependencies;
    IF v_wake IS NULL THEN
        RETURN NULL;
    END IF;

    -- 1. one event per status change, numbered by the row's event_seq
    INSERT INTO public.build_events (build_id, event_type, seq, event_data, trace_id, correlation_id)
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

    -- 1b. one build_attempts row per attempt that ended (left 'building'), one statement for the whole batch. The
    --     failure and timeout functions write richer rows themselves in the same statement: those are kept (the
    --     unique key skips the row here). A completed attempt takes its figures from the build_results row its
    --     statement wrote; a released one keeps its number (release gives the attempt back).
    IF v_ended THEN
    INSERT INTO public.build_attempts (build_id, attempt, worker_id, started_at, ended_at, outcome, exit_code, duration_ms,
                                       cpu_seconds, peak_memory_bytes, error, stdout_log, stderr_log)
    SELECT n.id, o.attempts, o.worker_id, coalesce(o.started_at, now()), now(),
           CASE WHEN n.status IN ('completed', 'cancelled', 'timeout', 'failed') THEN n.status
                WHEN n.attempts < o.attempts THEN 'released'
                ELSE 'failed' END,
           r.exit_code,
           coalesce(r.duration_ms, greatest((extract(epoch FROM now() - o.started_at) * 1000)::bigint, 0)),
           r.cpu_seconds, r.peak_memory_bytes,
           CASE WHEN n.status <> 'completed' AND n.attempts >= o.attempts THEN n.last_error END,
           r.stdout_log, r.stderr_log
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      LEFT JOIN public.build_results r ON r.build_id = n.id AND n.status = 'completed'
     WHERE o.status = 'building' AND n.status <> 'building'
        ON CONFLICT ON CONSTRAINT uq_build_attempts_attempt DO NOTHING;
    END IF;

    -- 2. a completed build releases its dependents (one statement for the whole batch; none when no completed build
    --    has dependents, which is the common case: an UPDATE of build_queue costs its set-up and fires these
    --    statement triggers again even when it changes no row)
    IF v_completed AND EXISTS (SELECT 1 FROM new_rows n JOIN public.build_dependencies d ON d.depends_on_build_id = n.id
                                WHERE n.status = 'completed') THEN
    UPDATE public.build_queue b
       SET pending_dependencies = b.pending_dependencies - x.k
      FROM (SELECT d.build_id, count(*)::int AS k
              FROM new_rows n JOIN old_rows o ON o.id = n.id
              JOIN public.build_dependencies d ON d.depends_on_build_id = n.id
             WHERE n.status = 'completed' AND o.status IS DISTINCT FROM 'completed'
             GROUP BY d.build_id) x
     WHERE b.id = x.build_id;
    END IF;

    -- 3. idle workers are woken by build_queue_wake (trg_build_queue_runnable_update) when a customer becomes
    --    claimable: builds requeued or released by their dependencies, or a slot freed for a customer at its cap
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.build_queue_before_write()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
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
 SECURITY DEFINER   -- customers are created by honua_admin, which may not write the slot rows (V13); reads nothing
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    INSERT INTO public.build_queue_slots (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $function$;

-- ---------------------------------------------------------------------------------------------------------------------
-- Runnable customers: wake-up (owner rights: an enqueue by honua_app maintains rows it may not write itself; these
-- functions read nothing but their arguments and the runnable rows, and return nothing)
-- ---------------------------------------------------------------------------------------------------------------------

-- Makes customers ready that may have claimable builds now. p_slot_freed: a running build of theirs ended (a capped
-- customer waiting for a slot becomes ready); otherwise builds became claimable (a customer at its cap stays waiting).
-- Ready rows are only share-locked (FOR KEY SHARE, until the end of the transaction: claimers, which lock FOR NO KEY
-- UPDATE, still serve them, but cannot take the exclusive lock needed to mark them not ready); the others are upserted. Rows are locked in customer order (no deadlock between
-- writers). Cost: two statements for any number of customers.
CREATE OR REPLACE FUNCTION public.build_queue_wake(p_customers text[], p_ranks bigint[], p_slot_freed boolean)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_locked TEXT[];
    v_floor  BIGINT;
    v_ready  BOOLEAN;
BEGIN
    SELECT coalesce(array_agg(x.customer_id), '{}') INTO v_locked FROM (
        SELECT r.customer_id FROM public.build_queue_runnable r
         WHERE r.customer_id = ANY (p_customers) AND r.ready
         ORDER BY r.customer_id
           FOR KEY SHARE) x;
    IF cardinality(v_locked) >= cardinality(p_customers) THEN
        RETURN;
    END IF;
    -- a customer becoming ready starts at the current virtual time: no credit for the time it had nothing to run
    v_floor := (SELECT r.vtime FROM public.build_queue_runnable r WHERE r.ready ORDER BY r.vtime, r.head_rank LIMIT 1);
    WITH up AS (
        INSERT INTO public.build_queue_runnable AS r (customer_id, vtime, head_rank, ready, at_cap, capped)
        SELECT c.customer_id, coalesce(v_floor, 0), c.head_rank, true, false, true
          FROM unnest(p_customers, p_ranks) AS c(customer_id, head_rank)
         WHERE c.customer_id <> ALL (v_locked)
         ORDER BY c.customer_id
            ON CONFLICT (customer_id) DO UPDATE
           SET ready     = r.ready OR CASE WHEN p_slot_freed THEN r.at_cap ELSE NOT r.at_cap END,
               at_cap    = r.at_cap AND NOT p_slot_freed,
               wake_at   = CASE WHEN r.ready OR CASE WHEN p_slot_freed THEN r.at_cap ELSE NOT r.at_cap END
                                THEN NULL ELSE r.wake_at END,
               vtime     = CASE WHEN NOT r.ready AND CASE WHEN p_slot_freed THEN r.at_cap ELSE NOT r.at_cap END
                                THEN greatest(r.vtime, EXCLUDED.vtime) ELSE r.vtime END,
               head_rank = least(r.head_rank, EXCLUDED.head_rank)
        RETURNING r.ready
    )
    SELECT bool_or(up.ready) INTO v_ready FROM up;
    -- Wake idle workers only when a customer became claimable (it was not ready, or had no row): NOTIFY takes a
    -- cluster-wide lock that is held through the commit's WAL flush, so a NOTIFY per enqueue or completion would
    -- serialise every committing transaction of the server. A customer that was ready already needs none: a worker
    -- idles only after a claim that found no ready customer free (one held by another claimer is served by it; an
    -- idle worker's poll interval bounds the wait in that race).
    IF v_ready THEN
        PERFORM public.build_queue_notify();
    END IF;
END $function$;
COMMENT ON FUNCTION public.build_queue_wake(text[],bigint[],boolean) IS 'Internal (queue triggers): marks customers ready that may have claimable builds.';
REVOKE EXECUTE ON FUNCTION public.build_queue_wake(text[],bigint[],boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.build_queue_runnable_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_customers TEXT[];
    v_ranks     BIGINT[];
BEGIN
    SELECT array_agg(x.customer_id ORDER BY x.customer_id), array_agg(x.head_rank ORDER BY x.customer_id)
      INTO v_customers, v_ranks
      FROM (SELECT n.customer_id, min(n.claim_rank) AS head_rank FROM new_rows n
             WHERE n.status = 'queued' AND n.pending_dependencies = 0 GROUP BY n.customer_id) x;
    IF v_customers IS NOT NULL THEN
        PERFORM public.build_queue_wake(v_customers, v_ranks, false);
    END IF;
    RETURN NULL;
END $function$;
REVOKE EXECUTE ON FUNCTION public.build_queue_runnable_after_insert() FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.build_queue_runnable_after_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_customers TEXT[];
    v_ranks     BIGINT[];
    v_ended     BOOLEAN;   -- a running build ended
BEGIN
    -- one pass over the changed rows, per customer: the best build that became claimable (enqueued again by retry,
    -- requeue or release, or released by its last dependency; NULL: none) and whether a running build ended. Claims,
    -- heartbeats and progress updates, most of this trigger's calls, need nothing more.
    SELECT array_agg(x.customer_id ORDER BY x.customer_id) FILTER (WHERE x.head_rank IS NOT NULL),
           array_agg(x.head_rank ORDER BY x.customer_id) FILTER (WHERE x.head_rank IS NOT NULL),
           bool_or(x.ended)
      INTO v_customers, v_ranks, v_ended
      FROM (SELECT n.customer_id,
                   min(n.claim_rank) FILTER (WHERE n.status = 'queued' AND n.pending_dependencies = 0
                       AND (o.status <> 'queued' OR o.pending_dependencies > 0 OR n.not_before < o.not_before)) AS head_rank,
                   bool_or(o.status = 'building' AND n.status <> 'building') AS ended
              FROM new_rows n JOIN old_rows o ON o.id = n.id
             GROUP BY n.customer_id) x;
    IF v_customers IS NOT NULL THEN
        PERFORM public.build_queue_wake(v_customers, v_ranks, false);
    END IF;
    IF NOT coalesce(v_ended, false) THEN   -- NULL: the statement changed no row
        RETURN NULL;
    END IF;
    -- running builds that ended: only customers that had a cap at their last claim wait for a free slot
    SELECT array_agg(DISTINCT o.customer_id ORDER BY o.customer_id)
      INTO v_customers
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE o.status = 'building' AND n.status <> 'building'
       AND EXISTS (SELECT 1 FROM public.build_queue_runnable r WHERE r.customer_id = o.customer_id AND r.capped);
    IF v_customers IS NOT NULL THEN
        PERFORM public.build_queue_wake(v_customers, array_fill(NULL::bigint, ARRAY[cardinality(v_customers)]), true);
    END IF;
    RETURN NULL;
END $function$;
REVOKE EXECUTE ON FUNCTION public.build_queue_runnable_after_update() FROM PUBLIC;

-- A runnable row's virtual time never goes back (a tenant cannot buy itself a larger share by writing its own row).
CREATE OR REPLACE FUNCTION public.build_queue_runnable_vtime_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    RAISE EXCEPTION 'the virtual time of customer % cannot decrease (% -> %)', NEW.customer_id, OLD.vtime, NEW.vtime
        USING ERRCODE = '42501';
END $function$;
REVOKE EXECUTE ON FUNCTION public.build_queue_runnable_vtime_guard() FROM PUBLIC;

DROP TRIGGER IF EXISTS trg_build_queue_runnable_insert ON public.build_queue;
CREATE TRIGGER trg_build_queue_runnable_insert AFTER INSERT ON public.build_queue
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.build_queue_runnable_after_insert();
DROP TRIGGER IF EXISTS trg_build_queue_runnable_update ON public.build_queue;
CREATE TRIGGER trg_build_queue_runnable_update AFTER UPDATE ON public.build_queue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.build_queue_runnable_after_update();
DROP TRIGGER IF EXISTS trg_build_queue_runnable_vtime ON public.build_queue_runnable;
CREATE TRIGGER trg_build_queue_runnable_vtime BEFORE UPDATE OF vtime ON public.build_queue_runnable
    FOR EACH ROW WHEN (NEW.vtime < OLD.vtime) EXECUTE FUNCTION public.build_queue_runnable_vtime_guard();

-- ---------------------------------------------------------------------------------------------------------------------
-- Fair-share weights
-- ---------------------------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION public.fair_share_weight(p_customer_id text)
 RETURNS integer
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT coalesce(
        (SELECT w.weight FROM public.build_queue_weights w WHERE w.customer_id = p_customer_id),
        (SELECT max(CASE l.tier WHEN 'enterprise' THEN 8 WHEN 'professional' THEN 4 WHEN 'standard' THEN 2 ELSE 1 END)
           FROM public.licenses l
          WHERE l.customer_id = p_customer_id AND l.status IN ('active', 'trial')
            AND (l.expires_at IS NULL OR l.expires_at > now()) AND (NOT coalesce(l.is_trial, false) OR l.trial_ends_at > now())),
        1);
$function$;
COMMENT ON FUNCTION public.fair_share_weight(text) IS 'Effective fair-share weight of a customer: its override (build_queue_weights), else by the highest tier of its valid licenses (free 1, standard 2, professional 4, enterprise 8), else 1.';
REVOKE EXECUTE ON FUNCTION public.fair_share_weight(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.fair_share_weight(text) TO honua_app, honua_worker, honua_admin;

CREATE OR REPLACE FUNCTION public.set_fair_share_weight(p_customer_id text, p_weight integer)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER   -- honua_admin holds no direct write on build_queue_weights (V18)
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_prev TEXT := current_setting('honua.actor', true);
BEGIN
    -- the audit trigger (V18) records the caller, not the owner these rights are borrowed from
    PERFORM set_config('honua.actor', coalesce(nullif(v_prev, ''), session_user::text), true);
    IF p_customer_id IS NULL THEN
        RAISE EXCEPTION 'customer id is required' USING ERRCODE = '22023';
    END IF;
    IF p_weight IS NULL THEN
        DELETE FROM public.build_queue_weights WHERE customer_id = p_customer_id;
    ELSIF p_weight NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'fair-share weight must be 1..1000, got %', p_weight USING ERRCODE = '22023';
    ELSE
        INSERT INTO public.build_queue_weights (customer_id, weight) VALUES (p_customer_id, p_weight)
            ON CONFLICT (customer_id) DO UPDATE SET weight = EXCLUDED.weight, updated_at = now();
    END IF;
    PERFORM set_config('honua.actor', coalesce(v_prev, ''), true);
END $function$;
COMMENT ON FUNCTION public.set_fair_share_weight(text,integer) IS 'Sets (1..1000) or, with NULL, removes a customer''s fair-share weight override. Administrative: honua_admin only; owner''s rights (nobody writes build_queue_weights directly), audited with the caller as actor.';
REVOKE EXECUTE ON FUNCTION public.set_fair_share_weight(text,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.set_fair_share_weight(text,integer) TO honua_admin;

-- ---------------------------------------------------------------------------------------------------------------------
-- Claiming
-- ---------------------------------------------------------------------------------------------------------------------

-- Plans: every statement of claim_builds is planned once per session and reused (force_generic_plan). With the
-- default (auto) PostgreSQL re-planned the large claim statement on every call, since its generic plan looks dearer
-- than a custom one, and planning was a quarter of the server's work per claim; the generic plans use the same indexes.
-- JIT is off: a generic plan's cost estimate passes jit_above_cost, and compiling it took 50 ms per call on a
-- server with JIT (PostgreSQL's default where LLVM is installed) for a statement that runs in 0.3 ms.
CREATE OR REPLACE FUNCTION public.claim_builds(p_worker_id text, p_limit integer, p_lease_seconds integer DEFAULT 60)
 RETURNS SETOF public.build_queue
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
 SET plan_cache_mode = force_generic_plan
 SET jit = off
AS $function$
DECLARE
    v_customers TEXT[];
    v_floor     BIGINT;
    v_left      INTEGER := p_limit;
    v_got       INTEGER;
    v_all       TEXT[] := '{}';
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

    -- 1. customers whose deferred builds are due (or whose cap is to be re-checked) become ready
    IF EXISTS (SELECT 1 FROM public.build_queue_runnable w WHERE NOT w.ready AND w.wake_at <= now()) THEN
        v_floor := (SELECT r.vtime FROM public.build_queue_runnable r WHERE r.ready ORDER BY r.vtime, r.head_rank LIMIT 1);
        UPDATE public.build_queue_runnable r
           SET ready = true, at_cap = false, wake_at = NULL, vtime = greatest(r.vtime, coalesce(v_floor, r.vtime))
          FROM (SELECT w.customer_id FROM public.build_queue_runnable w
                 WHERE NOT w.ready AND w.wake_at <= now()
                 ORDER BY w.wake_at LIMIT 1000
                   FOR NO KEY UPDATE SKIP LOCKED) due
         WHERE r.customer_id = due.customer_id;
    END IF;

    -- 2. the next customers in fair-share order, locked; those another claimer or a writer holds are skipped. A round
    --    that finds customers whose builds are gone (deleted, cancelled, taken) marks them not ready and another
    --    round fills the claim (each round retires the stale customers it met; 32 rounds, since a claim of 1 meets one
    --    customer per round and 4 rounds returned nothing when 4 drained or capped customers were ahead of it).
    FOR v_round IN 1..32 LOOP
        SELECT array_agg(x.customer_id) INTO v_customers FROM (
            SELECT r.customer_id FROM public.build_queue_runnable r
             WHERE r.ready
               -- not again a customer this claim found drained or at its cap
               AND NOT (r.customer_id = ANY (v_all) AND (r.at_cap OR r.head_rank IS NULL))
             ORDER BY r.vtime, r.head_rank
             LIMIT v_left
               FOR NO KEY UPDATE SKIP LOCKED) x;
        EXIT WHEN v_customers IS NULL;
        v_all := v_all || v_customers;
        -- 3. a new statement, so its snapshot is younger than the locks: every build that was claimed, enqueued or
        --    finished for these customers before the locks were taken is seen
        RETURN QUERY
        WITH cand AS (
            SELECT r.customer_id, r.vtime, r.head_rank,
                   1000000000::bigint / coalesce(w.weight, lic.tier_weight, 1) AS stride,
                   lic.cap,
                   CASE WHEN lic.cap IS NULL THEN v_left ELSE greatest(lic.cap - run.n, 0) END AS free
              FROM public.build_queue_runnable r
              LEFT JOIN public.build_queue_weights w ON w.customer_id = r.customer_id
              CROSS JOIN LATERAL (
                  SELECT max(l.max_concurrent_builds) AS cap,
                         max(CASE l.tier WHEN 'enterprise' THEN 8 WHEN 'professional' THEN 4 WHEN 'standard' THEN 2 ELSE 1 END) AS tier_weight
                    FROM public.licenses l
                   WHERE l.customer_id = r.customer_id
                     AND l.status IN ('active', 'trial')
                     AND (l.expires_at IS NULL OR l.expires_at > now()) AND (NOT coalesce(l.is_trial, false) OR l.trial_ends_at > now())
              ) lic
              CROSS JOIN LATERAL (
                  -- only a capped customer's running builds are counted (at most its cap)
                  SELECT count(*)::int AS n FROM public.build_queue q
                   WHERE lic.cap IS NOT NULL AND q.customer_id = r.customer_id AND q.status = 'building'
              ) run
             WHERE r.customer_id = ANY (v_customers)
        ), turns AS (
            -- stride scheduling: the customer's j-th build in this claim has the tag vtime + j * stride; the n
            -- smallest tags win (ties: the better head build first)
            SELECT t.customer_id, count(*)::int AS k FROM (
                SELECT c.customer_id FROM cand c
                 CROSS JOIN LATERAL generate_series(0, least(c.free, v_left) - 1) AS j
                 ORDER BY c.vtime + j * c.stride, c.head_rank NULLS LAST, c.customer_id
                 LIMIT v_left) t
             GROUP BY t.customer_id
        ), picked AS (
            SELECT b.id, b.customer_id FROM turns t
             CROSS JOIN LATERAL (
                SELECT q.id, q.customer_id FROM public.build_queue q
                 WHERE q.customer_id = t.customer_id
                   AND q.status = 'queued'
                   AND q.pending_dependencies = 0
                   AND q.not_before <= now()
                 ORDER BY q.claim_rank
                 LIMIT t.k
                   FOR UPDATE SKIP LOCKED) b
        ), claimed AS (
            UPDATE public.build_queue b
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
             -- by primary key: the planner cannot know that picked holds at most p_limit rows (LIMIT t.k) and would
             -- otherwise hash-join it against a sequential scan of the whole queue
             WHERE b.id = ANY (ARRAY(SELECT p.id FROM picked p))
            RETURNING b.*
        ), got AS (
            SELECT p.customer_id, count(*)::int AS n FROM picked p GROUP BY p.customer_id
        ), settled AS (
            SELECT c.customer_id, c.stride, coalesce(g.n, 0) AS n, c.cap IS NOT NULL AS capped,
                   c.cap IS NOT NULL AND c.free - coalesce(g.n, 0) <= 0 AS at_cap, nx.claim_rank AS next_rank
              FROM cand c
              LEFT JOIN got g ON g.customer_id = c.customer_id
              LEFT JOIN LATERAL (
                  -- the best claimable build left (the ones just claimed still look queued to this statement)
                  SELECT q.claim_rank FROM public.build_queue q
                   WHERE q.customer_id = c.customer_id AND q.status = 'queued' AND q.pending_dependencies = 0
                     AND q.not_before <= now()
                     AND q.id NOT IN (SELECT p.id FROM picked p WHERE p.customer_id = c.customer_id)
                   ORDER BY q.claim_rank LIMIT 1) nx ON TRUE
        ), state AS (
            -- ready stays as it is: a customer found drained (head_rank NULL) or at its cap is retired below, under
            -- an exclusive lock and after a fresh look
            UPDATE public.build_queue_runnable r
               SET vtime     = r.vtime + s.n * s.stride,
                   capped    = s.capped,
                   at_cap    = s.at_cap,
                   head_rank = s.next_rank
              FROM settled s
             WHERE r.customer_id = s.customer_id
            RETURNING 1
        )
        SELECT * FROM claimed ORDER BY claimed.claim_rank;
        GET DIAGNOSTICS v_got = ROW_COUNT;
        v_left := v_left - v_got;
        EXIT WHEN v_left = 0;
    END LOOP;

    -- 3. retire the customers found drained or at their cap. Writers that may have made them claimable hold a
    --    FOR KEY SHARE lock until they commit (the lock claimers take above does not conflict with it, so they never
    --    wait for each other): only rows no writer holds can be locked exclusively here, and the decision is made
    --    again in a snapshot younger than that lock. A row this skips stays ready; the next claim looks again.
    IF v_all <> '{}' THEN
        SELECT array_agg(x.customer_id) INTO v_customers FROM (
            SELECT r.customer_id FROM public.build_queue_runnable r
             WHERE r.customer_id = ANY (v_all) AND r.ready AND (r.at_cap OR r.head_rank IS NULL)
             ORDER BY r.customer_id
               FOR UPDATE SKIP LOCKED) x;
        IF v_customers IS NOT NULL THEN
            UPDATE public.build_queue_runnable r
               SET ready     = NOT (chk.at_cap OR chk.next_rank IS NULL),
                   at_cap    = chk.at_cap,
                   head_rank = chk.next_rank,
                   wake_at   = CASE
                                   WHEN chk.at_cap THEN now() + interval '10 seconds'   -- safety re-check
                                   WHEN chk.next_rank IS NOT NULL THEN NULL
                                   -- deferred builds (backoff, not_before): ready when the first is due
                                   ELSE (SELECT min(q.not_before) FROM public.build_queue q
                                          WHERE q.customer_id = chk.customer_id AND q.status = 'queued'
                                            AND q.pending_dependencies = 0 AND q.not_before > now())
                               END
              FROM (SELECT c.customer_id,
                           lic.cap IS NOT NULL AND run.n >= lic.cap AS at_cap,
                           nx.claim_rank AS next_rank
                      FROM unnest(v_customers) AS c(customer_id)
                     CROSS JOIN LATERAL (
                         SELECT max(l.max_concurrent_builds) AS cap FROM public.licenses l
                          WHERE l.customer_id = c.customer_id AND l.status IN ('active', 'trial')
                            AND (l.expires_at IS NULL OR l.expires_at > now()) AND (NOT coalesce(l.is_trial, false) OR l.trial_ends_at > now())) lic
                     CROSS JOIN LATERAL (
                         SELECT count(*)::int AS n FROM public.build_queue q
                          WHERE lic.cap IS NOT NULL AND q.customer_id = c.customer_id AND q.status = 'building') run
                      LEFT JOIN LATERAL (
                         SELECT q.claim_rank FROM public.build_queue q
                          WHERE q.customer_id = c.customer_id AND q.status = 'queued' AND q.pending_dependencies = 0
                            AND q.not_before <= now()
                          ORDER BY q.claim_rank LIMIT 1) nx ON TRUE) chk
             WHERE r.customer_id = chk.customer_id;
        END IF;
    END IF;
    IF v_left < p_limit THEN
        RETURN;
    END IF;

    -- 4. every ready customer is held by another claimer right now (few customers, many claimers): take builds of
    --    ready customers without a cap directly, without locking their rows and without charging their virtual time
    RETURN QUERY
    WITH cand AS (
        SELECT r.customer_id FROM public.build_queue_runnable r
         WHERE r.ready AND NOT r.capped
           AND NOT EXISTS (SELECT 1 FROM public.licenses l
                            WHERE l.customer_id = r.customer_id AND l.status IN ('active', 'trial')
                              AND (l.expires_at IS NULL OR l.expires_at > now()) AND (NOT coalesce(l.is_trial, false) OR l.trial_ends_at > now()))
         ORDER BY r.vtime, r.head_rank
         LIMIT p_limit
    ), picked AS (
        SELECT b.id, b.claim_rank, row_number() OVER (PARTITION BY b.customer_id ORDER BY b.claim_rank) AS turn
          FROM cand c
         CROSS JOIN LATERAL (
            SELECT q.id, q.customer_id, q.claim_rank FROM public.build_queue q
             WHERE q.customer_id = c.customer_id AND q.status = 'queued' AND q.pending_dependencies = 0
               AND q.not_before <= now()
             ORDER BY q.claim_rank
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED) b
    ), chosen AS (
        SELECT p.id FROM picked p ORDER BY p.turn, p.claim_rank LIMIT p_limit
    ), claimed AS (
        UPDATE public.build_queue b
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
         WHERE b.id = ANY (ARRAY(SELECT c.id FROM chosen c))
        RETURNING b.*
    )
    SELECT * FROM claimed ORDER BY claimed.claim_rank;
END $function$;
COMMENT ON FUNCTION public.claim_builds(text,integer,integer) IS 'Atomically claims up to p_limit claimable builds for a worker with a lease. Order: weighted fair share between customers (stride scheduling on build_queue_runnable), then claim_rank (priority with aging) within a customer. A customer never exceeds its license max_concurrent_builds. Touches O(p_limit) customers found through an index; rows held by other claimers are skipped (SKIP LOCKED), so concurrent claimers never wait for each other and never claim the same build.';

CREATE OR REPLACE FUNCTION public.get_next_build_for_worker(p_worker_id text)
 RETURNS SETOF public.build_queue
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT * FROM public.claim_builds(p_worker_id, 1, 60);
$function$;
COMMENT ON FUNCTION public.get_next_build_for_worker(text) IS 'Seed function: atomically assigns the next queued build to a worker (none: no row) with a 60 s lease (differs from seed 000, which had no lease). The worker keeps it by calling update_build_progress (or heartbeat_build) at least every 60 s; otherwise handle_build_timeouts requeues it and the worker''s complete_build then changes nothing.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Enqueue
-- ---------------------------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION public.enqueue_builds(p_customer_ids text[], p_priorities integer[], p_manifest_ids uuid[], p_manifest_hashes text[], p_idempotency_keys text[], p_not_before_ms bigint[], p_timeout_seconds integer[], p_max_attempts integer[], p_build_configs text[], p_trace_ids text[], p_correlation_ids text[], p_aging_ms bigint, p_notify boolean DEFAULT true, p_trace_parents text[] DEFAULT NULL::text[], p_trace_states text[] DEFAULT NULL::text[])
 RETURNS SETOF public.build_queue
 LANGUAGE plpgsql   -- not sql: PostgreSQL before 18 plans a sql function's statements on every call
 SET search_path = pg_catalog, public, pg_temp
 SET jit = off
AS $function$
BEGIN
    -- p_notify = false: no NOTIFY for the rest of this transaction
    IF NOT p_notify THEN
        PERFORM set_config('honua.queue_notify', 'off', true);
    END IF;
    RETURN QUERY
    INSERT INTO public.build_queue (customer_id, priority, manifest_id, manifest_hash, idempotency_key, not_before, timeout_seconds,
                                    max_attempts, build_config, claim_rank, trace_id, correlation_id, trace_parent, trace_state)
    SELECT u.customer_id, u.priority, u.manifest_id, u.manifest_hash, u.idempotency_key,
           coalesce(to_timestamp(u.not_before_ms / 1000.0), now()),
           coalesce(u.timeout_seconds, 3600),          -- the column defaults of V2
           coalesce(u.max_attempts, 3),
           coalesce(u.build_config, '{}')::jsonb,
           coalesce(u.not_before_ms, (extract(epoch FROM now()) * 1000)::bigint) - u.priority * p_aging_ms,
           u.trace_id, u.correlation_id, u.trace_parent, u.trace_state
      FROM unnest(p_customer_ids, p_priorities, p_manifest_ids, p_manifest_hashes, p_idempotency_keys, p_not_before_ms,
                  p_timeout_seconds, p_max_attempts, p_build_configs, p_trace_ids, p_correlation_ids,
                  coalesce(p_trace_parents, '{}'), coalesce(p_trace_states, '{}'))    -- NULL arrays: no trace contexts
           WITH ORDINALITY AS u(customer_id, priority, manifest_id, manifest_hash, idempotency_key, not_before_ms,
                                timeout_seconds, max_attempts, build_config, trace_id, correlation_id, trace_parent,
                                trace_state, ord)
     ORDER BY u.ord
        ON CONFLICT (customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *;
END
$function$;
COMMENT ON FUNCTION public.enqueue_builds(text[],integer[],uuid[],text[],text[],bigint[],integer[],integer[],text[],text[],text[],bigint,boolean,text[],text[]) IS 'Enqueues a batch of builds in one statement; claim_rank = start time in ms minus priority x p_aging_ms. p_notify = false: no NOTIFY for the rest of the transaction. p_trace_parents / p_trace_states (optional): W3C trace context per build.';
REVOKE EXECUTE ON FUNCTION public.enqueue_builds(text[],integer[],uuid[],text[],text[],bigint[],integer[],integer[],text[],text[],text[],bigint,boolean,text[],text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.enqueue_builds(text[],integer[],uuid[],text[],text[],bigint[],integer[],integer[],text[],text[],text[],bigint,boolean,text[],text[]) TO honua_app, honua_worker;

-- ---------------------------------------------------------------------------------------------------------------------
-- Lease-holder operations (single build, and batched: one statement per batch)
-- ---------------------------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION public.cancel_build(p_build_id uuid, p_reason text DEFAULT NULL::text)
 RETURNS SETOF public.build_queue
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    UPDATE public.build_queue
       SET status = 'cancelled', completed_at = now(), lease_expires_at = NULL,
           last_error = coalesce(p_reason, last_error)
     WHERE id = p_build_id AND status IN ('queued', 'building')
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.cancel_build(uuid,text) IS 'Cancels a queued or running build; the worker of a running build learns it at its next heartbeat.';

CREATE OR REPLACE FUNCTION public.complete_build(p_build_id uuid, p_worker_id text, p_trace_id text DEFAULT NULL::text, p_correlation_id text DEFAULT NULL::text)
 RETURNS SETOF public.build_queue
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    UPDATE public.build_queue
       SET status = 'completed', completed_at = now(), progress_percent = 100, lease_expires_at = NULL,
           trace_id = coalesce(p_trace_id, trace_id), correlation_id = coalesce(p_correlation_id, correlation_id)
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.complete_build(uuid,text,text,text) IS 'Marks a build held by p_worker_id completed.';

CREATE OR REPLACE FUNCTION public.complete_build_with_result(p_build_id uuid, p_worker_id text, p_exit_code integer, p_duration_ms bigint, p_cpu_seconds numeric, p_peak_memory_bytes bigint, p_image_reference text, p_image_digest text, p_image_size_bytes bigint, p_layer_count integer, p_stdout_log text, p_stderr_log text)
 RETURNS SETOF public.build_queue
 LANGUAGE plpgsql   -- not sql: PostgreSQL before 18 plans a sql function's statements on every call
 SET search_path = pg_catalog, public, pg_temp
 SET jit = off
AS $function$
BEGIN
    RETURN QUERY
    WITH done AS (
        UPDATE public.build_queue
           SET status = 'completed', completed_at = now(), progress_percent = 100, lease_expires_at = NULL
         WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
        RETURNING *
    ), result AS (
        INSERT INTO public.build_results (build_id, success, exit_code, duration_ms, cpu_seconds, peak_memory_bytes, image_reference,
                                          image_digest, image_size_bytes, layer_count, stdout_log, stderr_log)
        SELECT d.id, TRUE, p_exit_code, p_duration_ms, p_cpu_seconds, p_peak_memory_bytes, p_image_reference, p_image_digest,
               p_image_size_bytes, p_layer_count, p_stdout_log, p_stderr_log
          FROM done d
            ON CONFLICT (build_id) DO UPDATE
           SET success = TRUE, exit_code = EXCLUDED.exit_code, duration_ms = EXCLUDED.duration_ms
    )
    SELECT * FROM done;
END
$function$;
COMMENT ON FUNCTION public.complete_build_with_result(uuid,text,integer,bigint,numeric,bigint,text,text,bigint,integer,text,text) IS 'Marks a build held by p_worker_id completed and writes its build_results row, atomically. No row: not held.';

CREATE OR REPLACE FUNCTION public.complete_builds(p_worker_id text, p_build_ids uuid[], p_exit_codes integer[], p_duration_ms bigint[], p_cpu_seconds numeric[], p_peak_memory_bytes bigint[], p_image_references text[], p_image_digests text[], p_image_size_bytes bigint[], p_layer_counts integer[], p_stdout_logs text[], p_stderr_logs text[])
 RETURNS SETOF public.build_queue
 LANGUAGE plpgsql   -- not sql: PostgreSQL before 18 plans a sql function's statement on every call
 SET search_path = pg_catalog, public, pg_temp
 SET jit = off
AS $function$
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT * FROM unnest(p_build_ids, p_exit_codes, p_duration_ms, p_cpu_seconds, p_peak_memory_bytes, p_image_references,
                             p_image_digests, p_image_size_bytes, p_layer_counts, p_stdout_logs, p_stderr_logs)
               AS u(build_id, exit_code, duration_ms, cpu_seconds, peak_memory_bytes, image_reference, image_digest,
                    image_size_bytes, layer_count, stdout_log, stderr_log)
    ), done AS (
        UPDATE public.build_queue b
           SET status = 'completed', completed_at = now(), progress_percent = 100, lease_expires_at = NULL
         WHERE b.id = ANY (p_build_ids) AND b.worker_id = p_worker_id AND b.status = 'building'
        RETURNING b.*
    ), result AS (
        INSERT INTO public.build_results (build_id, success, exit_code, duration_ms, cpu_seconds, peak_memory_bytes, image_reference,
                                          image_digest, image_size_bytes, layer_count, stdout_log, stderr_log)
        SELECT DISTINCT ON (i.build_id) i.build_id, TRUE, i.exit_code, coalesce(i.duration_ms, 0), i.cpu_seconds, i.peak_memory_bytes,
               i.image_reference, i.image_digest, i.image_size_bytes, i.layer_count, i.stdout_log, i.stderr_log
          FROM input i JOIN done d ON d.id = i.build_id
         ORDER BY i.build_id
            ON CONFLICT (build_id) DO UPDATE
           SET success = TRUE, exit_code = EXCLUDED.exit_code, duration_ms = EXCLUDED.duration_ms
    )
    SELECT * FROM done;
END
$function$;
COMMENT ON FUNCTION public.complete_builds(text,uuid[],integer[],bigint[],numeric[],bigint[],text[],text[],bigint[],integer[],text[],text[]) IS 'Batched complete_build_with_result: marks every listed build held by p_worker_id completed and writes its build_results row, in one statement. Returns the builds completed; a build not held (any more) is absent.';
REVOKE EXECUTE ON FUNCTION public.complete_builds(text,uuid[],integer[],bigint[],numeric[],bigint[],text[],text[],bigint[],integer[],text[],text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.complete_builds(text,uuid[],integer[],bigint[],numeric[],bigint[],text[],text[],bigint[],integer[],text[],text[]) TO honua_worker, honua_app;

CREATE OR REPLACE FUNCTION public.fail_build(p_build_id uuid, p_worker_id text, p_error text, p_backoff_base_seconds integer DEFAULT 5, p_backoff_max_seconds integer DEFAULT 600, p_trace_id text DEFAULT NULL::text, p_correlation_id text DEFAULT NULL::text)
 RETURNS SETOF public.build_queue
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    UPDATE public.build_queue
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

CREATE OR REPLACE FUNCTION public.fail_builds(p_worker_id text, p_build_ids uuid[], p_errors text[], p_backoff_base_seconds integer DEFAULT 5, p_backoff_max_seconds integer DEFAULT 600)
 RETURNS SETOF public.build_queue
 LANGUAGE plpgsql   -- not sql: PostgreSQL before 18 plans a sql function's statements on every call
 SET search_path = pg_catalog, public, pg_temp
 SET jit = off
AS $function$
BEGIN
    RETURN QUERY
    UPDATE public.build_queue b
       SET status           = CASE WHEN b.attempts < b.max_attempts THEN 'queued' ELSE 'failed' END,
           worker_id        = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE b.worker_id END,
           last_error       = i.error,
           lease_expires_at = NULL,
           completed_at     = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE now() END,
           not_before       = CASE WHEN b.attempts < b.max_attempts
                                   THEN now() + make_interval(secs => least(p_backoff_max_seconds::float8,
                                                                            p_backoff_base_seconds * power(2, greatest(b.attempts - 1, 0))))
                                   ELSE b.not_before END
      FROM (SELECT DISTINCT ON (u.build_id) u.build_id, u.error
              FROM unnest(p_build_ids, p_errors) AS u(build_id, error) ORDER BY u.build_id) i
     WHERE b.id = i.build_id AND b.id = ANY (p_build_ids)   -- by primary key, whatever the estimate of the input
           AND b.worker_id = p_worker_id AND b.status = 'building'
    RETURNING b.*;
END
$function$;
COMMENT ON FUNCTION public.fail_builds(text,uuid[],text[],integer,integer) IS 'Batched fail_build in one statement: each listed build held by p_worker_id is requeued after exponential backoff while attempts remain, else failed. Returns the builds changed; a build not held is absent.';
REVOKE EXECUTE ON FUNCTION public.fail_builds(text,uuid[],text[],integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.fail_builds(text,uuid[],text[],integer,integer) TO honua_worker, honua_app;

CREATE OR REPLACE FUNCTION public.fail_builds_with_results(p_worker_id text, p_build_ids uuid[], p_errors text[], p_exit_codes integer[], p_duration_ms bigint[], p_cpu_seconds numeric[], p_peak_memory_bytes bigint[], p_stdout_logs text[], p_stderr_logs text[], p_backoff_base_seconds integer DEFAULT 5, p_backoff_max_seconds integer DEFAULT 600)
 RETURNS SETOF public.build_queue
 LANGUAGE plpgsql   -- not sql: PostgreSQL before 18 plans a sql function's statements on every call
 SET search_path = pg_catalog, public, pg_temp
 SET jit = off
AS $function$
BEGIN
    RETURN QUERY
    WITH input AS (
        SELECT DISTINCT ON (u.build_id) u.*
          FROM unnest(p_build_ids, p_errors, p_exit_codes, p_duration_ms, p_cpu_seconds, p_peak_memory_bytes, p_stdout_logs,
                      p_stderr_logs)
               AS u(build_id, error, exit_code, duration_ms, cpu_seconds, peak_memory_bytes, stdout_log, stderr_log)
         ORDER BY u.build_id
    ), done AS (
        UPDATE public.build_queue b
           SET status           = CASE WHEN b.attempts < b.max_attempts THEN 'queued' ELSE 'failed' END,
               worker_id        = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE b.worker_id END,
               last_error       = i.error,
               lease_expires_at = NULL,
               completed_at     = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE now() END,
               not_before       = CASE WHEN b.attempts < b.max_attempts
                                       THEN now() + make_interval(secs => least(p_backoff_max_seconds::float8,
                                                                                p_backoff_base_seconds * power(2, greatest(b.attempts - 1, 0))))
                                       ELSE b.not_before END
          FROM input i
         WHERE b.id = i.build_id AND b.id = ANY (p_build_ids)   -- by primary key, whatever the estimate of the input
           AND b.worker_id = p_worker_id AND b.status = 'building'
        RETURNING b.*
    ), recorded AS (
        -- the attempt's outcome with the worker's figures (the update trigger's generic row is skipped)
        INSERT INTO public.build_attempts (build_id, attempt, worker_id, started_at, outcome, exit_code, duration_ms, cpu_seconds,
                                           peak_memory_bytes, error, stdout_log, stderr_log)
        SELECT d.id, d.attempts, p_worker_id, coalesce(d.started_at, now()), 'failed', i.exit_code,
               coalesce(i.duration_ms, greatest((extract(epoch FROM now() - d.started_at) * 1000)::bigint, 0)),
               i.cpu_seconds, i.peak_memory_bytes, i.error, i.stdout_log, i.stderr_log
          FROM done d JOIN input i ON i.build_id = d.id
            ON CONFLICT ON CONSTRAINT uq_build_attempts_attempt DO NOTHING
    )
    SELECT * FROM done;
END
$function$;
COMMENT ON FUNCTION public.fail_builds_with_results(text,uuid[],text[],integer[],bigint[],numeric[],bigint[],text[],text[],integer,integer) IS 'fail_builds with a failure record per build: each listed build held by p_worker_id is requeued after exponential backoff while attempts remain, else failed, and its attempt is written to build_attempts with exit code, duration, resources, error and logs, in one statement. Returns the builds changed; a build not held is absent.';
REVOKE EXECUTE ON FUNCTION public.fail_builds_with_results(text,uuid[],text[],integer[],bigint[],numeric[],bigint[],text[],text[],integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.fail_builds_with_results(text,uuid[],text[],integer[],bigint[],numeric[],bigint[],text[],text[],integer,integer) TO honua_worker, honua_app;

CREATE OR REPLACE FUNCTION public.heartbeat_build(p_build_id uuid, p_worker_id text)
 RETURNS SETOF public.build_queue
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    UPDATE public.build_queue
       SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => lease_seconds)
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.heartbeat_build(uuid,text) IS 'Extends the lease of a build held by p_worker_id.';

CREATE OR REPLACE FUNCTION public.heartbeat_builds(p_worker_id text, p_build_ids uuid[])
 RETURNS TABLE(build_id uuid, state text, lease_expires_at timestamp with time zone)
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    WITH beat AS (
        UPDATE public.build_queue b
           SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => b.lease_seconds)
         WHERE b.id = ANY (p_build_ids) AND b.worker_id = p_worker_id AND b.status = 'building'
        RETURNING b.id, b.lease_expires_at
    )
    SELECT i.id,
           CASE WHEN h.id IS NOT NULL THEN 'held'
                WHEN q.id IS NULL THEN 'unknown'
                WHEN q.status = 'cancelled' AND q.worker_id = p_worker_id THEN 'cancelled'
                ELSE 'lost' END,
           h.lease_expires_at
      FROM (SELECT DISTINCT u.id FROM unnest(p_build_ids) AS u(id)) i
      LEFT JOIN beat h ON h.id = i.id
      LEFT JOIN public.build_queue q ON q.id = i.id AND h.id IS NULL;
$function$;
COMMENT ON FUNCTION public.heartbeat_builds(text,uuid[]) IS 'One heartbeat for many builds: extends the lease of each listed build p_worker_id holds, in one statement. One row per build: held (with the new lease expiry), cancelled (stop working on it), lost (held by no one or another worker) or unknown.';
REVOKE EXECUTE ON FUNCTION public.heartbeat_builds(text,uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.heartbeat_builds(text,uuid[]) TO honua_worker, honua_app;

CREATE OR REPLACE FUNCTION public.release_build(p_build_id uuid, p_worker_id text)
 RETURNS SETOF public.build_queue
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    UPDATE public.build_queue
       SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, not_before = now(),
           attempts = greatest(attempts - 1, 0), progress_percent = 0, current_step = NULL
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$function$;
COMMENT ON FUNCTION public.release_build(uuid,text) IS 'A worker gives back a build it has not started (graceful shutdown): requeued at once, the attempt not counted.';

CREATE OR REPLACE FUNCTION public.update_build_progress(p_build_id uuid, p_worker_id text, p_progress_percent integer, p_current_step text)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    IF p_progress_percent IS NULL OR p_progress_percent NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'progress must be 0..100, got %', p_progress_percent USING ERRCODE = '22023';
    END IF;
    UPDATE public.build_queue
       SET progress_percent = p_progress_percent,
           current_step     = p_current_step,
           heartbeat_at     = now(),
           lease_expires_at = now() + make_interval(secs => lease_seconds)
     WHERE id = p_build_id AND status = 'building' AND worker_id = p_worker_id;
    RETURN FOUND;
END $function$;
COMMENT ON FUNCTION public.update_build_progress(uuid,text,integer,text) IS 'Updates real-time progress of a build; only the worker holding it may. False when it does not.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Recovery and introspection
-- ---------------------------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION public.handle_build_timeouts()
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    WITH expired AS (
        SELECT q.id, q.worker_id, q.attempts, q.started_at,
               q.started_at + make_interval(secs => q.timeout_seconds) < now() AS over_time
          FROM public.build_queue q
         WHERE q.status = 'building'
           AND (q.lease_expires_at < now() OR q.started_at + make_interval(secs => q.timeout_seconds) < now())
         ORDER BY q.id
           FOR UPDATE SKIP LOCKED
    ), handled AS (
        UPDATE public.build_queue b
           SET status           = CASE WHEN b.attempts < b.max_attempts THEN 'queued' ELSE 'timeout' END,
               last_error       = CASE WHEN expired.over_time
                                       THEN 'build exceeded its timeout of ' || b.timeout_seconds || ' s'
                                       ELSE 'lease expired: worker ' || b.worker_id || ' stopped sending heartbeats' END,
               worker_id        = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE b.worker_id END,
               lease_expires_at = NULL,
               not_before       = now(),
               completed_at     = CASE WHEN b.attempts < b.max_attempts THEN NULL ELSE now() END
          FROM expired
         WHERE b.id = expired.id
        RETURNING b.id, b.last_error
    ), recorded AS (
        -- the attempt's outcome (the update trigger's generic row for these is skipped)
        INSERT INTO public.build_attempts (build_id, attempt, worker_id, started_at, outcome, duration_ms, error)
        SELECT e.id, e.attempts, e.worker_id, coalesce(e.started_at, now()),
               CASE WHEN e.over_time THEN 'timeout' ELSE 'lease_expired' END,
               greatest((extract(epoch FROM now() - e.started_at) * 1000)::bigint, 0), h.last_error
          FROM expired e JOIN handled h ON h.id = e.id
            ON CONFLICT ON CONSTRAINT uq_build_attempts_attempt DO NOTHING
    )
    SELECT count(*) INTO v_count FROM handled;
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.handle_build_timeouts() IS 'Recovers running builds whose lease expired (no heartbeat or progress for lease_seconds, 60 s by default) or that ran past timeout_seconds: requeued at once while attempts remain, else ended as timeout (differs from seed 000, which marked every such build timeout). Each writes a build_attempts row (outcome lease_expired or timeout). Returns how many.';

CREATE OR REPLACE FUNCTION public.retry_build(p_build_id uuid, p_extra_attempts integer DEFAULT 1, p_priority integer DEFAULT NULL::integer, p_delay_ms bigint DEFAULT 0, p_aging_ms bigint DEFAULT NULL::bigint)
 RETURNS SETOF public.build_queue
 LANGUAGE plpgsql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    IF p_extra_attempts IS NULL OR p_extra_attempts NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'extra attempts must be 1..100, got %', p_extra_attempts USING ERRCODE = '22023';
    END IF;
    IF p_priority IS NOT NULL AND p_priority NOT BETWEEN 1 AND 10 THEN
        RAISE EXCEPTION 'priority must be 1..10, got %', p_priority USING ERRCODE = '22023';
    END IF;
    IF p_delay_ms IS NULL OR p_delay_ms < 0 OR p_delay_ms > 31536000000 THEN
        RAISE EXCEPTION 'delay must be 0..1 year in ms, got %', p_delay_ms USING ERRCODE = '22023';
    END IF;
    IF p_aging_ms IS NOT NULL AND p_aging_ms < 0 THEN
        RAISE EXCEPTION 'aging must not be negative, got %', p_aging_ms USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    UPDATE public.build_queue
       SET status           = 'queued',
           worker_id        = NULL,
           lease_expires_at = NULL,
           completed_at     = NULL,
           not_before       = now() + make_interval(secs => p_delay_ms / 1000.0),
           progress_percent = 0,
           current_step     = NULL,
           -- at least p_extra_attempts more attempts
           max_attempts     = greatest(max_attempts, attempts + p_extra_attempts),
           priority         = coalesce(p_priority, priority),
           claim_rank       = CASE WHEN p_aging_ms IS NULL THEN claim_rank
                                   ELSE (extract(epoch FROM now()) * 1000)::bigint + p_delay_ms
                                        - coalesce(p_priority, priority) * p_aging_ms END
     WHERE id = p_build_id AND status IN ('failed', 'timeout', 'cancelled')
    RETURNING *;
END $function$;
COMMENT ON FUNCTION public.retry_build(uuid,integer,integer,bigint,bigint) IS 'Requeues a failed, timed-out or cancelled build: at least p_extra_attempts (1..100) more attempts, optionally a new priority and a delay (ms) before it is claimable; p_aging_ms given: claim_rank recomputed as for a new build, else kept. Its attempts and events stay; the status change emits a retried event. No row: no such build in a retryable state (or not visible).';
REVOKE EXECUTE ON FUNCTION public.retry_build(uuid,integer,integer,bigint,bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.retry_build(uuid,integer,integer,bigint,bigint) TO honua_worker, honua_app;

CREATE OR REPLACE FUNCTION public.retry_failed_build(p_build_id uuid)
 RETURNS boolean
 LANGUAGE sql
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT EXISTS (SELECT 1 FROM public.retry_build(p_build_id, 1, NULL, 0, NULL));
$function$;
COMMENT ON FUNCTION public.retry_failed_build(uuid) IS 'Seed signature: requeues a failed, timed-out or cancelled build at once, granting one more attempt when its attempts are used (seed 000 required attempts < max_attempts, which no build failed by its worker satisfies). False: no such build in a retryable state.';

CREATE OR REPLACE FUNCTION public.stuck_builds(p_older_than_seconds integer DEFAULT 3600)
 RETURNS SETOF public.build_queue
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT * FROM public.build_queue
     WHERE status = 'building' AND started_at < now() - make_interval(secs => p_older_than_seconds)
     ORDER BY started_at;
$function$;
COMMENT ON FUNCTION public.stuck_builds(integer) IS 'Builds building for longer than the given number of seconds, oldest first.';
