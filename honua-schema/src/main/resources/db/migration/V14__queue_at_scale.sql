-- =====================================================================================================================
-- V14: the build queue at scale (issue 11). Tables, indexes, triggers, grants only; every function body is in
-- R__queue.sql.
--   * build_queue_runnable: one row per customer that has (or had) queued builds, carrying its fair-share virtual
--     time. Claimers take the next customers from the partial index on (vtime, head_rank) WHERE ready with
--     FOR UPDATE SKIP LOCKED, so a claim touches O(n) customers for n builds and never waits for another claimer.
--     A customer at its concurrency cap, or without claimable builds, is not ready and costs nothing.
--   * build_queue_weights: per-customer fair-share weight overrides (default: from the license tier).
--   * idx_build_queue_ready: a customer's claimable builds in claim order (replaces idx_build_queue_claim_rank).
--   * build_queue_slots.running_builds is gone: caps are checked by counting the customer's running builds while its
--     runnable row is locked, so completions of uncapped customers write no counter at all.
-- =====================================================================================================================

-- honua_admin (administrative operations such as fair-share weights). Another migration may create it too; create it
-- here when missing, race-safe like V10's roles.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'honua_admin') THEN
        BEGIN
            CREATE ROLE honua_admin NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------------------------------
-- Runnable customers
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE public.build_queue_runnable (
    -- CASCADE: scheduling state has no meaning without its customer.
    customer_id TEXT PRIMARY KEY REFERENCES public.customers (customer_id) ON DELETE CASCADE,
    vtime       BIGINT      NOT NULL DEFAULT 0,
    head_rank   BIGINT,
    ready       BOOLEAN     NOT NULL DEFAULT true,
    at_cap      BOOLEAN     NOT NULL DEFAULT false,
    capped      BOOLEAN     NOT NULL DEFAULT true,
    wake_at     TIMESTAMPTZ
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 1000,
        autovacuum_vacuum_cost_delay = 0);
COMMENT ON TABLE public.build_queue_runnable IS
    'Scheduling state per customer with queued builds. ready: may have claimable builds now (claimers take the lowest '
    '(vtime, head_rank) first). vtime: fair-share virtual time, advanced by 10^9 / weight per claimed build. '
    'at_cap: not ready because its running builds reached the license cap (a finishing build makes it ready). '
    'capped: had a cap at its last claim (finishing builds of uncapped customers touch nothing here). '
    'wake_at: a not-ready customer becomes ready at this instant (deferred builds; a safety re-check of capped ones). '
    'Maintained by claim_builds() and by the triggers trg_build_queue_runnable_insert/update.';
CREATE INDEX idx_build_queue_runnable_next ON public.build_queue_runnable (vtime, head_rank) WHERE ready;
COMMENT ON INDEX public.idx_build_queue_runnable_next IS 'claim_builds(): the next customers in fair-share order.';
CREATE INDEX idx_build_queue_runnable_wake ON public.build_queue_runnable (wake_at) WHERE NOT ready AND wake_at IS NOT NULL;
COMMENT ON INDEX public.idx_build_queue_runnable_wake IS 'claim_builds(): customers whose deferred builds became due.';

INSERT INTO public.build_queue_runnable (customer_id, vtime, head_rank, ready)
SELECT q.customer_id, 0, min(q.claim_rank), true
  FROM public.build_queue q
 WHERE q.status = 'queued'
 GROUP BY q.customer_id;

-- ---------------------------------------------------------------------------------------------------------------------
-- Fair-share weights
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE public.build_queue_weights (
    -- CASCADE: an override has no meaning without its customer.
    customer_id TEXT PRIMARY KEY REFERENCES public.customers (customer_id) ON DELETE CASCADE,
    weight      INTEGER     NOT NULL CONSTRAINT chk_build_queue_weights_weight CHECK (weight BETWEEN 1 AND 1000),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.build_queue_weights IS
    'Fair-share weight overrides: a backlogged customer of weight w gets w / (sum of weights) of the claims. Without a '
    'row the weight comes from the highest tier of its valid licenses: free 1, standard 2, professional 4, '
    'enterprise 8; no valid license 1. Written by set_fair_share_weight() (honua_admin).';

-- ---------------------------------------------------------------------------------------------------------------------
-- Claim index: claimable builds per customer in claim order
-- ---------------------------------------------------------------------------------------------------------------------
CREATE INDEX idx_build_queue_ready ON public.build_queue (customer_id, claim_rank)
    WHERE status = 'queued' AND pending_dependencies = 0;
COMMENT ON INDEX public.idx_build_queue_ready IS
    'claim_builds(): a customer''s queued builds without pending dependencies, best claim_rank first.';
DROP INDEX public.idx_build_queue_claim_rank;

-- ---------------------------------------------------------------------------------------------------------------------
-- The running counter is no longer kept (caps count running builds under the customer's runnable-row lock)
-- ---------------------------------------------------------------------------------------------------------------------
ALTER TABLE public.build_queue_slots DROP COLUMN running_builds;
COMMENT ON TABLE public.build_queue_slots IS
    'One row per customer (kept for compatibility). Since V14 the queue keeps no running-build counter here: '
    'claim_builds() counts a capped customer''s running builds while it holds the customer''s build_queue_runnable row.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Privileges. Default privileges (V10) gave honua_app and honua_worker all table rights on the new tables: take them
-- back and grant what each role needs. Nobody but the owner inserts or deletes runnable rows: enqueues (also by
-- honua_app) maintain them through SECURITY DEFINER triggers. Claimers (honua_worker, or honua_app claiming its own
-- tenant's builds) update the rows they lock; a row's vtime can only grow (trigger trg_build_queue_runnable_vtime),
-- so a tenant cannot buy itself a larger share by writing its own row. Weights: read by claimers, written only
-- through set_fair_share_weight() (honua_admin).
-- ---------------------------------------------------------------------------------------------------------------------
REVOKE ALL ON public.build_queue_runnable, public.build_queue_weights FROM PUBLIC, honua_app, honua_worker;
GRANT SELECT, UPDATE ON public.build_queue_runnable TO honua_app, honua_worker;
GRANT SELECT ON public.build_queue_weights TO honua_app, honua_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.build_queue_weights TO honua_admin;
-- Forced row-level security like every tenant-owned table: honua_app sees its tenant's rows, honua_worker all; the
-- owner (the migration user), whose SECURITY DEFINER triggers maintain the runnable rows for every tenant, gets its
-- own policy because FORCE subjects the owner to the policies too.
ALTER TABLE public.build_queue_runnable ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.build_queue_runnable FORCE ROW LEVEL SECURITY;
CREATE POLICY honua_tenant_isolation ON public.build_queue_runnable AS PERMISSIVE FOR ALL TO honua_app
    USING (customer_id = public.honua_current_tenant()) WITH CHECK (customer_id = public.honua_current_tenant());
CREATE POLICY honua_worker_all ON public.build_queue_runnable AS PERMISSIVE FOR ALL TO honua_worker USING (true) WITH CHECK (true);
ALTER TABLE public.build_queue_weights ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.build_queue_weights FORCE ROW LEVEL SECURITY;
CREATE POLICY honua_tenant_isolation ON public.build_queue_weights AS PERMISSIVE FOR SELECT TO honua_app
    USING (customer_id = public.honua_current_tenant());
CREATE POLICY honua_worker_all ON public.build_queue_weights AS PERMISSIVE FOR SELECT TO honua_worker USING (true);
CREATE POLICY honua_admin_all ON public.build_queue_weights AS PERMISSIVE FOR ALL TO honua_admin USING (true) WITH CHECK (true);
DO $$
BEGIN
    EXECUTE format('CREATE POLICY honua_owner_all ON public.build_queue_runnable AS PERMISSIVE FOR ALL TO %I '
                   'USING (true) WITH CHECK (true)', current_user);
END $$;

-- Changed signatures (bodies in R__queue.sql): enqueue_builds gains p_notify.
DROP FUNCTION public.enqueue_builds(text[], integer[], uuid[], text[], text[], bigint[], integer[], integer[], text[], text[], text[], bigint);

-- Execute rights of the queue functions that exist at this point (functions R__queue.sql creates later get theirs
-- there, right after their CREATE, because they do not exist yet when this runs). Trigger functions: nobody calls
-- them (a trigger does not check EXECUTE when it fires).
DO $$
DECLARE
    f TEXT;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'public.build_dependencies_before_insert()', 'public.build_queue_after_insert()', 'public.build_queue_after_update()',
        'public.build_queue_before_write()', 'public.build_queue_slots_for_new_customer()'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, honua_app, honua_worker', f);
    END LOOP;
    FOREACH f IN ARRAY ARRAY[
        'public.claim_builds(text,integer,integer)', 'public.complete_build(uuid,text,text,text)',
        'public.complete_build_with_result(uuid,text,integer,bigint,numeric,bigint,text,text,bigint,integer,text,text)',
        'public.fail_build(uuid,text,text,integer,integer,text,text)', 'public.get_next_build_for_worker(text)',
        'public.handle_build_timeouts()', 'public.heartbeat_build(uuid,text)', 'public.release_build(uuid,text)',
        'public.retry_failed_build(uuid)', 'public.stuck_builds(integer)',
        'public.update_build_progress(uuid,text,integer,text)', 'public.cancel_build(uuid,text)'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        -- row-level security scopes honua_app to its tenant's builds in each of them
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO honua_worker, honua_app', f);
    END LOOP;
END $$;
