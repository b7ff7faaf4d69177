-- =====================================================================================================================
-- V6: what the build queue needs beyond the seed schema
--   * idempotent enqueue (per-customer idempotency key), deferred start (not_before), aging claim order (claim_rank)
--   * leases: a claim holds a build for lease_seconds; heartbeats and progress extend it; expiry requeues it
--   * per-customer concurrency slots (license max_concurrent_builds), enforced under concurrent claimers
--   * fair share between customers: claims take builds round-robin across customers
--   * build dependencies with cycle prevention
--   * per-build gapless event sequence numbers with trace / correlation ids, written by triggers on every change
--   * LISTEN/NOTIFY wake-up on channel honua_build_queue
-- Custom SQLSTATEs raised here (class HQ, "Honua queue"): HQ001 dependency cycle, HQ002 dependency on a build that
-- is not queued.
-- =====================================================================================================================

ALTER TABLE build_queue
    ADD COLUMN idempotency_key      TEXT CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    ADD COLUMN not_before           TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN claim_rank           BIGINT,
    ADD COLUMN lease_seconds        INTEGER     NOT NULL DEFAULT 60 CHECK (lease_seconds BETWEEN 1 AND 86400),
    ADD COLUMN lease_expires_at     TIMESTAMPTZ,
    ADD COLUMN heartbeat_at         TIMESTAMPTZ,
    ADD COLUMN pending_dependencies INTEGER     NOT NULL DEFAULT 0 CHECK (pending_dependencies >= 0),
    ADD COLUMN event_seq            INTEGER     NOT NULL DEFAULT 0 CHECK (event_seq >= 0),
    ADD COLUMN trace_id             TEXT CHECK (length(trace_id) <= 200),
    ADD COLUMN correlation_id       TEXT CHECK (length(correlation_id) <= 200);

COMMENT ON COLUMN build_queue.claim_rank IS
    'Claim order key in milliseconds: enqueue time minus priority x aging step. Lower is claimed first, so a waiting '
    'build gains one priority level per aging step and no priority starves. Filled on insert when not given.';
COMMENT ON COLUMN build_queue.lease_expires_at IS
    'While building: the worker must heartbeat before this instant or handle_build_timeouts() requeues the build.';
COMMENT ON COLUMN build_queue.pending_dependencies IS
    'Number of builds this one depends on that have not completed; claimable only at 0.';
COMMENT ON COLUMN build_queue.event_seq IS 'Sequence number of the latest build_events row of this build (gapless).';

UPDATE build_queue
   SET claim_rank = (extract(epoch FROM queued_at) * 1000)::bigint - priority * 60000::bigint;
ALTER TABLE build_queue ALTER COLUMN claim_rank SET NOT NULL;

-- Queue rows churn: keep dead tuples out of the claim path.
ALTER TABLE build_queue SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 0);

-- One build per (customer, idempotency key).
CREATE UNIQUE INDEX uq_build_queue_idempotency ON build_queue (customer_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
COMMENT ON INDEX uq_build_queue_idempotency IS 'Idempotent enqueue: a second enqueue with the same key finds this row.';

-- The claim path: active customers (loose index scan) and each customer's best queued builds.
CREATE INDEX idx_build_queue_claim_rank ON build_queue (customer_id, claim_rank)
    WHERE status = 'queued';
COMMENT ON INDEX idx_build_queue_claim_rank IS
    'claim_builds(): finds customers with queued builds and their lowest claim_rank; finished history is not in it.';

-- Lease expiry scan.
CREATE INDEX idx_build_queue_lease ON build_queue (lease_expires_at) WHERE status = 'building';
COMMENT ON INDEX idx_build_queue_lease IS 'handle_build_timeouts(): running builds whose lease expired.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Events: per-build sequence numbers and tracing ids.
-- ---------------------------------------------------------------------------------------------------------------------
ALTER TABLE build_events
    ADD COLUMN seq            INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0),
    ADD COLUMN trace_id       TEXT,
    ADD COLUMN correlation_id TEXT;
CREATE INDEX idx_build_events_build_seq ON build_events (build_id, seq);
COMMENT ON INDEX idx_build_events_build_seq IS 'A build''s event history in order.';
CREATE INDEX idx_build_events_correlation ON build_events (correlation_id) WHERE correlation_id IS NOT NULL;
COMMENT ON INDEX idx_build_events_correlation IS 'All events of one correlated request.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Per-customer running-build counter; locked by claimers so that license concurrency caps hold under concurrency.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_queue_slots (
    -- CASCADE: the counter has no meaning without its customer.
    customer_id    TEXT PRIMARY KEY REFERENCES customers (customer_id) ON DELETE CASCADE,
    running_builds INTEGER NOT NULL DEFAULT 0 CHECK (running_builds >= 0)
);
COMMENT ON TABLE build_queue_slots IS
    'Builds currently building per customer, maintained by triggers on build_queue; claimers lock these rows.';

INSERT INTO build_queue_slots (customer_id, running_builds)
SELECT c.customer_id, count(q.id) FILTER (WHERE q.status = 'building')
  FROM customers c LEFT JOIN build_queue q ON q.customer_id = c.customer_id
 GROUP BY c.customer_id;

CREATE FUNCTION build_queue_slots_for_new_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO build_queue_slots (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER trg_customers_queue_slots AFTER INSERT ON customers
    FOR EACH ROW EXECUTE FUNCTION build_queue_slots_for_new_customer();

-- ---------------------------------------------------------------------------------------------------------------------
-- Dependencies.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_dependencies (
    -- CASCADE both ways: a dependency edge means nothing once either build is deleted.
    build_id            UUID NOT NULL REFERENCES build_queue (id) ON DELETE CASCADE,
    depends_on_build_id UUID NOT NULL REFERENCES build_queue (id) ON DELETE CASCADE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (build_id, depends_on_build_id),
    CONSTRAINT chk_build_dependencies_not_self CHECK (build_id <> depends_on_build_id)
);
CREATE INDEX idx_build_dependencies_depends_on ON build_dependencies (depends_on_build_id);
COMMENT ON INDEX idx_build_dependencies_depends_on IS 'Releasing dependents when a build completes.';
COMMENT ON TABLE build_dependencies IS
    'build_id may only be claimed after depends_on_build_id completed. Cycles are refused on insert (SQLSTATE HQ001).';

CREATE FUNCTION build_dependencies_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;
CREATE TRIGGER trg_build_dependencies_before_insert BEFORE INSERT ON build_dependencies
    FOR EACH ROW EXECUTE FUNCTION build_dependencies_before_insert();

-- ---------------------------------------------------------------------------------------------------------------------
-- Triggers on build_queue: rank, event sequence, events, slots, dependency release, wake-up.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION build_queue_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;
CREATE TRIGGER trg_build_queue_before_write BEFORE INSERT OR UPDATE ON build_queue
    FOR EACH ROW EXECUTE FUNCTION build_queue_before_write();

CREATE FUNCTION build_queue_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO build_events (build_id, event_type, seq, event_data, trace_id, correlation_id)
    SELECT n.id, 'queued', n.event_seq,
           jsonb_strip_nulls(jsonb_build_object('priority', n.priority, 'not_before', n.not_before)),
           n.trace_id, n.correlation_id
      FROM new_rows n;
    PERFORM pg_notify('honua_build_queue', 'queued');
    RETURN NULL;
END $$;
CREATE TRIGGER trg_build_queue_after_insert AFTER INSERT ON build_queue
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION build_queue_after_insert();

CREATE FUNCTION build_queue_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
END $$;
CREATE TRIGGER trg_build_queue_after_update AFTER UPDATE ON build_queue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION build_queue_after_update();

-- ---------------------------------------------------------------------------------------------------------------------
-- Claiming.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION claim_builds(p_worker_id TEXT, p_limit INTEGER, p_lease_seconds INTEGER DEFAULT 60)
    RETURNS SETOF build_queue
    LANGUAGE plpgsql AS $$
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
END $$;
COMMENT ON FUNCTION claim_builds(TEXT, INTEGER, INTEGER) IS
    'Atomically claims up to p_limit claimable builds for a worker with a lease. Order: per-customer fair share, then '
    'claim_rank (priority with aging). A customer never exceeds its license max_concurrent_builds. Rows locked by other '
    'claimers are skipped, so concurrent claimers never block each other on builds and never claim the same build.';

-- The seed's single-build claim, now with the same rules as claim_builds().
CREATE OR REPLACE FUNCTION get_next_build_for_worker(p_worker_id TEXT)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
    SELECT * FROM claim_builds(p_worker_id, 1, 60);
$$;

-- Progress also extends the lease; only the worker holding the build may report it.
CREATE OR REPLACE FUNCTION update_build_progress(p_build_id UUID, p_worker_id TEXT, p_progress_percent INTEGER, p_current_step TEXT)
    RETURNS BOOLEAN
    LANGUAGE plpgsql AS $$
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
END $$;

-- Expired leases and exceeded timeouts: requeue while attempts remain, else the build ends as 'timeout'.
CREATE OR REPLACE FUNCTION handle_build_timeouts()
    RETURNS INTEGER
    LANGUAGE plpgsql AS $$
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
END $$;

CREATE OR REPLACE FUNCTION retry_failed_build(p_build_id UUID)
    RETURNS BOOLEAN
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE build_queue
       SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, completed_at = NULL,
           not_before = now(), progress_percent = 0, current_step = NULL
     WHERE id = p_build_id AND status IN ('failed', 'timeout') AND attempts < max_attempts;
    RETURN FOUND;
END $$;

-- ---------------------------------------------------------------------------------------------------------------------
-- Lease holder operations. Each returns the updated build, or no row when p_worker_id does not hold the build.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION heartbeat_build(p_build_id UUID, p_worker_id TEXT)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
    UPDATE build_queue
       SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => lease_seconds)
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$$;
COMMENT ON FUNCTION heartbeat_build(UUID, TEXT) IS 'Extends the lease of a build held by p_worker_id.';

CREATE FUNCTION complete_build(p_build_id UUID, p_worker_id TEXT, p_trace_id TEXT DEFAULT NULL, p_correlation_id TEXT DEFAULT NULL)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
    UPDATE build_queue
       SET status = 'completed', completed_at = now(), progress_percent = 100, lease_expires_at = NULL,
           trace_id = coalesce(p_trace_id, trace_id), correlation_id = coalesce(p_correlation_id, correlation_id)
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$$;
COMMENT ON FUNCTION complete_build(UUID, TEXT, TEXT, TEXT) IS 'Marks a build held by p_worker_id completed.';

CREATE FUNCTION fail_build(p_build_id UUID, p_worker_id TEXT, p_error TEXT,
                           p_backoff_base_seconds INTEGER DEFAULT 5, p_backoff_max_seconds INTEGER DEFAULT 600,
                           p_trace_id TEXT DEFAULT NULL, p_correlation_id TEXT DEFAULT NULL)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
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
$$;
COMMENT ON FUNCTION fail_build(UUID, TEXT, TEXT, INTEGER, INTEGER, TEXT, TEXT) IS
    'A build held by p_worker_id failed: requeued after exponential backoff while attempts remain, else failed.';

CREATE FUNCTION release_build(p_build_id UUID, p_worker_id TEXT)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
    UPDATE build_queue
       SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, not_before = now(),
           attempts = greatest(attempts - 1, 0), progress_percent = 0, current_step = NULL
     WHERE id = p_build_id AND worker_id = p_worker_id AND status = 'building'
    RETURNING *;
$$;
COMMENT ON FUNCTION release_build(UUID, TEXT) IS
    'A worker gives back a build it has not started (graceful shutdown): requeued at once, the attempt not counted.';

CREATE FUNCTION cancel_build(p_build_id UUID, p_reason TEXT DEFAULT NULL)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
    UPDATE build_queue
       SET status = 'cancelled', completed_at = now(), lease_expires_at = NULL,
           last_error = coalesce(p_reason, last_error)
     WHERE id = p_build_id AND status IN ('queued', 'building')
    RETURNING *;
$$;
COMMENT ON FUNCTION cancel_build(UUID, TEXT) IS
    'Cancels a queued or running build; the worker of a running build learns it at its next heartbeat.';

-- The seed's "stuck builds" health check, parameterised.
CREATE FUNCTION stuck_builds(p_older_than_seconds INTEGER DEFAULT 3600)
    RETURNS SETOF build_queue
    LANGUAGE sql STABLE AS $$
    SELECT * FROM build_queue
     WHERE status = 'building' AND started_at < now() - make_interval(secs => p_older_than_seconds)
     ORDER BY started_at;
$$;
COMMENT ON FUNCTION stuck_builds(INTEGER) IS 'Builds building for longer than the given number of seconds, oldest first.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Batch enqueue in one statement with one constant text: column arrays instead of a VALUES list, so the statement is
-- prepared once whatever the batch size. Element i of every array describes build i; NULL elements take the column
-- defaults. Builds whose (customer_id, idempotency_key) already exists are skipped (the caller looks them up).
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION enqueue_builds(p_customer_ids TEXT[], p_priorities INTEGER[], p_manifest_ids UUID[], p_manifest_hashes TEXT[],
                               p_idempotency_keys TEXT[], p_not_before_ms BIGINT[], p_timeout_seconds INTEGER[],
                               p_max_attempts INTEGER[], p_build_configs TEXT[], p_trace_ids TEXT[], p_correlation_ids TEXT[],
                               p_aging_ms BIGINT)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
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
$$;
COMMENT ON FUNCTION enqueue_builds(TEXT[], INTEGER[], UUID[], TEXT[], TEXT[], BIGINT[], INTEGER[], INTEGER[], TEXT[], TEXT[], TEXT[], BIGINT) IS
    'Enqueues a batch of builds in one statement; claim_rank = start time in ms minus priority x p_aging_ms.';

-- Completion and its result row in one statement (one round trip, atomic without a client transaction).
CREATE FUNCTION complete_build_with_result(p_build_id UUID, p_worker_id TEXT, p_exit_code INTEGER, p_duration_ms BIGINT,
                                           p_cpu_seconds NUMERIC, p_peak_memory_bytes BIGINT, p_image_reference TEXT,
                                           p_image_digest TEXT, p_image_size_bytes BIGINT, p_layer_count INTEGER,
                                           p_stdout_log TEXT, p_stderr_log TEXT)
    RETURNS SETOF build_queue
    LANGUAGE sql AS $$
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
$$;
COMMENT ON FUNCTION complete_build_with_result(UUID, TEXT, INTEGER, BIGINT, NUMERIC, BIGINT, TEXT, TEXT, BIGINT, INTEGER, TEXT, TEXT) IS
    'Marks a build held by p_worker_id completed and writes its build_results row, atomically. No row: not held.';
