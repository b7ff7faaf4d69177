-- V17 (issue 13): the outcome of every attempt of a build (seed 003's execution history with retry chains).
--
-- One row per attempt that ended: claimed (started_at) by worker_id as attempt number `attempt`, ended at ended_at
-- with an outcome. Written by the statements that end an attempt (complete, fail, cancel, release, lease/timeout
-- recovery): the statement-level trigger build_queue_after_update writes one INSERT per statement for every row that
-- left 'building'; fail_builds_with_results (BuildQueue.fail with a Failure record) and handle_build_timeouts write their richer rows
-- themselves in the same statement (the trigger's insert then skips them: ON CONFLICT on uq_build_attempts_attempt).
-- Function bodies are in R__queue.sql.
CREATE TABLE public.build_attempts (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- CASCADE: the attempts are part of their build's history.
    build_id          UUID NOT NULL REFERENCES public.build_queue (id) ON DELETE CASCADE,
    attempt           INTEGER NOT NULL CONSTRAINT chk_build_attempts_attempt CHECK (attempt >= 0),
    worker_id         TEXT,
    started_at        TIMESTAMPTZ NOT NULL,
    ended_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome           TEXT NOT NULL CONSTRAINT chk_build_attempts_outcome
                      CHECK (outcome IN ('completed', 'failed', 'timeout', 'lease_expired', 'released', 'cancelled')),
    exit_code         INTEGER,
    duration_ms       BIGINT CONSTRAINT chk_build_attempts_duration CHECK (duration_ms >= 0),
    cpu_seconds       NUMERIC(14, 3) CONSTRAINT chk_build_attempts_cpu CHECK (cpu_seconds >= 0),
    peak_memory_bytes BIGINT CONSTRAINT chk_build_attempts_memory CHECK (peak_memory_bytes >= 0),
    error             TEXT,
    stdout_log        TEXT,
    stderr_log        TEXT,
    -- one row per claim of a build: a released attempt keeps its number, the next claim has another started_at
    CONSTRAINT uq_build_attempts_attempt UNIQUE (build_id, attempt, started_at)
);
COMMENT ON TABLE public.build_attempts IS
    'Outcome of every attempt of a build (completed, failed, timeout, lease_expired, released, cancelled) with its '
    'worker, start and end, exit code, resources, error and logs. Kept when the build is retried.';

-- Same security as build_results: a row belongs to the tenant of its build.
SELECT public.honua_enable_tenant_rls_via_parent('public.build_attempts', 'build_id', 'public.build_queue', 'id');
DO $$
BEGIN
    EXECUTE format('CREATE POLICY honua_owner_all ON public.build_attempts AS PERMISSIVE FOR ALL TO %I USING (true) WITH CHECK (true)',
                   pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = 'public.build_attempts'::regclass)));
END $$;
REVOKE ALL ON public.build_attempts FROM PUBLIC;
-- the statements that end attempts run as the worker or the application (cancel): they insert; both read
GRANT SELECT, INSERT ON public.build_attempts TO honua_app, honua_worker;
-- cleanup_old_build_logs() (maintenance, service role) empties the logs of old attempts
GRANT UPDATE (stdout_log, stderr_log) ON public.build_attempts TO honua_worker;
