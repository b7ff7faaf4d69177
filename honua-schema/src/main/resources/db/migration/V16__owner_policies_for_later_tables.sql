-- V16: the owner policy of V13 for the row-level-security tables created after it (V14's build_queue_weights), so that
-- owner-rights code (the scheduler's SECURITY DEFINER triggers read the weights) sees their rows also when the owner is
-- not a superuser (managed PostgreSQL). Idempotent sweep: a table that already has the policy is left alone.
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
