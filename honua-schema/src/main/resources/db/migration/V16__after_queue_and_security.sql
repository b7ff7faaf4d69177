-- V16: what V13 (least privilege) and V14 (queue at scale), written side by side, need from each other.
--
-- 1. The owner policy of V13 for the row-level-security tables created after it (V14's build_queue_weights), so that
--    owner-rights code (the scheduler's SECURITY DEFINER triggers read the weights) sees their rows also when the owner
--    is not a superuser (managed PostgreSQL). Idempotent sweep: a table that already has the policy is left alone.
DO $$
DECLARE
    t REGCLASS;
    o TEXT;
BEGIN
    FOR t, o IN SELECT c.oid::regclass, pg_get_userbyid(c.relowner) FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity
                   AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'honua_owner_all') LOOP
        EXECUTE format('CREATE POLICY honua_owner_all ON %s AS PERMISSIVE FOR ALL TO %I USING (true) WITH CHECK (true)', t, o);
    END LOOP;
END $$;

-- 2. Dependency edges are serialised per tenant on a lock row (scope 'dependencies', key customer id) instead of one
--    global advisory key that any role could hold to stall every enqueue with dependencies. The application role
--    reaches only its own tenant's row (and may reference only its own builds: V10's honua_restrict_reference), so no
--    tenant can hold another's; the service role locks the rows of both customers of a cross-tenant edge.
ALTER TABLE public.honua_locks DROP CONSTRAINT chk_honua_locks_scope;
ALTER TABLE public.honua_locks ADD CONSTRAINT chk_honua_locks_scope CHECK (scope IN ('audit', 'maintenance', 'dependencies'));
COMMENT ON TABLE public.honua_locks IS
    'Lock rows (SELECT ... FOR UPDATE) serialising the audit chain of a tenant (scope audit, key tenant id), a '
    'maintenance job (scope maintenance, key job name), partition upkeep (maintenance / maintain_partitions) and the '
    'dependency edges of a tenant (scope dependencies, key customer id). Row-level security: the application role '
    'reaches only its own tenant''s audit and dependencies rows.';
CREATE POLICY honua_tenant_dependencies ON public.honua_locks FOR ALL TO honua_app
    USING (scope = 'dependencies' AND key = public.honua_current_tenant())
    WITH CHECK (scope = 'dependencies' AND key = public.honua_current_tenant());
