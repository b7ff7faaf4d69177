-- =====================================================================================================================
-- V13: least privilege (issue 12)
--   * honua_admin: a third NOLOGIN cluster role for administrative tools (licenses, tiers, API keys, customers)
--   * EXECUTE: revoked from PUBLIC on every function (and by default for functions created later), explicit grants
--     per role
--   * tables: honua_app loses the blanket grants; it may no longer write licenses, usage counters, slots, tiers or
--     API keys, and holds no table-level UPDATE/DELETE anywhere (column-level UPDATE where it writes), so it cannot
--     LOCK a table in a mode that stalls other tenants
--   * the shared build cache is written only by the service role; the application reads it only through the tier
--     rule (row-level security) and never sees who registered an entry
--   * honua_locks: row locks replace the advisory keys of the audit chain, the maintenance jobs and partition upkeep
--   * owner policies: functions running with the owner's rights see every row also when the owner is not a superuser
--     (managed PostgreSQL), since every tenant table has FORCE ROW LEVEL SECURITY
-- Function bodies are in the R__*.sql files (they run after this one); grants of functions created there are in
-- those files, right after the function.
-- =====================================================================================================================

-- ---------------------------------------------------------------------------------------------------------------------
-- 1. honua_admin (cluster-wide: tolerate that another database's migration or a DBA created it already)
-- ---------------------------------------------------------------------------------------------------------------------
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'honua_admin') THEN
        BEGIN
            CREATE ROLE honua_admin NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created by a concurrent migration of another database on the same server
        END;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO honua_admin;

-- ---------------------------------------------------------------------------------------------------------------------
-- 2. The lock table: one row per lock key. honua_app may lock only the audit chain head of its own tenant; the
--    service role every key; nobody else (no advisory key any role can compute and hold).
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE honua_locks (
    scope      TEXT NOT NULL CONSTRAINT chk_honua_locks_scope CHECK (scope IN ('audit', 'maintenance')),
    key        TEXT NOT NULL CONSTRAINT chk_honua_locks_key CHECK (length(key) BETWEEN 1 AND 200),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
COMMENT ON TABLE honua_locks IS
    'Lock rows (SELECT ... FOR UPDATE) serialising the audit chain of a tenant (scope audit, key tenant id), a '
    'maintenance job (scope maintenance, key job name) and partition upkeep (maintenance / maintain_partitions). '
    'Row-level security: the application role reaches only its own tenant''s audit row.';
INSERT INTO honua_locks (scope, key)
SELECT DISTINCT 'audit', tenant_id FROM audit_events
UNION ALL
SELECT 'maintenance', j FROM unnest(ARRAY['maintain_partitions', 'maintain-partitions', 'expire-conversations',
                                          'revoke-credentials', 'expire-licenses', 'handle-timeouts', 'cleanup-logs',
                                          'purge-deleted']) j
ON CONFLICT DO NOTHING;
ALTER TABLE honua_locks ENABLE ROW LEVEL SECURITY;
ALTER TABLE honua_locks FORCE ROW LEVEL SECURITY;
CREATE POLICY honua_tenant_audit ON honua_locks FOR ALL TO honua_app
    USING (scope = 'audit' AND key = honua_current_tenant()) WITH CHECK (scope = 'audit' AND key = honua_current_tenant());
CREATE POLICY honua_admin_audit ON honua_locks FOR ALL TO honua_admin USING (scope = 'audit') WITH CHECK (scope = 'audit');
CREATE POLICY honua_worker_all ON honua_locks FOR ALL TO honua_worker USING (true) WITH CHECK (true);

-- ---------------------------------------------------------------------------------------------------------------------
-- 3. Owner policies. Every tenant table has FORCE ROW LEVEL SECURITY, which also binds the table owner; a superuser
--    owner bypasses it, a managed-PostgreSQL owner (not a superuser) does not. SECURITY DEFINER code (quota triggers,
--    key verification, hit statistics, partition upkeep) runs as the owner and must see every row: a policy for the
--    owner (the role running this migration). honua_enable_tenant_rls / honua_secure_new_partitions add it to tables
--    and partitions created later.
-- ---------------------------------------------------------------------------------------------------------------------
DO $$
DECLARE
    t regclass;
    o name;
BEGIN
    FOR t, o IN SELECT c.oid::regclass, pg_get_userbyid(c.relowner) FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relrowsecurity LOOP
        EXECUTE format('DROP POLICY IF EXISTS honua_owner_all ON %s', t);
        EXECUTE format('CREATE POLICY honua_owner_all ON %s AS PERMISSIVE FOR ALL TO %I USING (true) WITH CHECK (true)', t, o);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------------------------------
-- 4. The administrative role: every tenant, the commercial state (licenses, tiers, API keys, customers) and the
--    audit trail those changes write (its triggers run with the writer's rights).
-- ---------------------------------------------------------------------------------------------------------------------
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['customers', 'licenses', 'api_keys', 'license_build_usage', 'build_queue_slots',
                             'registry_credentials', 'audit_events'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS honua_admin_all ON public.%I', t);
        EXECUTE format('CREATE POLICY honua_admin_all ON public.%I AS PERMISSIVE FOR ALL TO honua_admin USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON customers, licenses, api_keys TO honua_admin;
GRANT SELECT ON license_build_usage, build_queue_slots, registry_credentials TO honua_admin;
GRANT SELECT, INSERT ON audit_events TO honua_admin;

-- ---------------------------------------------------------------------------------------------------------------------
-- 5. honua_app, table by table. Start from nothing, then grant what the application needs. No DELETE, and UPDATE
--    only column by column: LOCK TABLE in any mode above ROW EXCLUSIVE needs table-level UPDATE, DELETE or TRUNCATE,
--    so the application role can no longer take a lock that stalls other tenants' statements.
-- ---------------------------------------------------------------------------------------------------------------------
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM honua_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;

DO $$
DECLARE
    t    regclass;
    cols TEXT;
BEGIN
    -- ordinary tenant data the application reads and writes (row-level security limits it to its tenant)
    FOR t IN SELECT c.oid::regclass FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND c.relname IN ('build_queue', 'build_results', 'build_artifacts', 'build_events', 'build_metrics',
                                  'build_dependencies', 'conversations', 'conversation_messages', 'build_manifests',
                                  'requirement_extractions', 'registry_credentials', 'cache_access_daily') LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = '' AND a.attgenerated = ''
           AND a.attname NOT IN ('id', 'customer_id');
        EXECUTE format('GRANT SELECT, INSERT ON %s TO honua_app', t);
        EXECUTE format('GRANT UPDATE (%s) ON %s TO honua_app', cols, t);
    END LOOP;
END $$;
-- the commercial state: read only
GRANT SELECT ON licenses, license_build_usage, build_queue_slots, api_keys, partition_policies TO honua_app;
-- claim_builds (run by a tenant-scoped worker too) locks the tenant's slot counter FOR UPDATE, which needs some UPDATE
-- privilege: only customer_id, which row-level security pins to the tenant itself (a no-op); never running_builds
GRANT UPDATE (customer_id) ON build_queue_slots TO honua_app;
-- customers: the tenant may change its contact details and soft-delete itself, never its tier; it is created by
-- honua_admin
GRANT SELECT ON customers TO honua_app;
GRANT UPDATE (name, email, subscription_status, metadata, deleted_at, updated_at) ON customers TO honua_app;
-- API keys: a tenant may revoke its own keys; creating one (and choosing its scopes) is honua_admin's
GRANT UPDATE (revoked_at, updated_at) ON api_keys TO honua_app;
-- audit trail: read and append (own tenant), as before
GRANT SELECT, INSERT ON audit_events TO honua_app;
-- the access log: written by lookups (own tenant; hits only for entries its tier allows, policy below)
GRANT SELECT, INSERT ON build_access_log TO honua_app;
-- the lock row of its own audit chain (FOR UPDATE needs some UPDATE privilege)
GRANT SELECT, INSERT, UPDATE (created_at) ON honua_locks TO honua_app;
GRANT SELECT, INSERT, UPDATE ON honua_locks TO honua_worker;
GRANT SELECT, INSERT, UPDATE (created_at) ON honua_locks TO honua_admin;
-- the shared cache: entries by the tier rule, without who registered them (below)
GRANT SELECT (id, manifest_hash, tier, image_reference, image_digest, image_size_bytes, layer_count,
              build_duration_seconds, hit_count, last_hit_at, expires_at, created_at, updated_at)
    ON build_cache_registry TO honua_app;
-- views (security_invoker: the caller's rights and policies apply)
DO $$
DECLARE
    v regclass;
BEGIN
    FOR v IN SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v' LOOP
        EXECUTE format('GRANT SELECT ON %s TO honua_app, honua_worker, honua_admin', v);
    END LOOP;
END $$;
-- materialized views and partitions: none (V10), also after the blanket revoke above
-- later tables: no automatic grant to honua_app (each migration grants what the application needs)
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM honua_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM honua_app;

-- The worker keeps its V10 privileges, minus the commercial state that belongs to honua_admin (the quota triggers
-- that maintain usage counters and slots run with the owner's rights).
-- (build_queue_slots stays writable for it: claim_builds locks the counters it checks.)
REVOKE INSERT, UPDATE, DELETE ON licenses, license_build_usage, api_keys FROM honua_worker;
REVOKE UPDATE ON customers FROM honua_worker;
GRANT UPDATE (name, email, subscription_status, metadata, deleted_at, updated_at) ON customers TO honua_worker;

-- ---------------------------------------------------------------------------------------------------------------------
-- 6. The build cache: shared entries are written by the service role only (a worker that built the image); the
--    application reads an entry only when its tenant's license tier allows it, and records hits only on such entries.
-- ---------------------------------------------------------------------------------------------------------------------
DROP POLICY IF EXISTS honua_shared_read ON build_cache_registry;
DROP POLICY IF EXISTS honua_tenant_insert ON build_cache_registry;
DROP POLICY IF EXISTS honua_tenant_update ON build_cache_registry;
DROP POLICY IF EXISTS honua_tenant_delete ON build_cache_registry;
CREATE POLICY honua_tier_read ON build_cache_registry FOR SELECT TO honua_app
    USING (cache_tier_rank(tier) <= customer_cache_tier_rank(honua_current_tenant())
           AND (expires_at IS NULL OR expires_at > now()));
CREATE POLICY honua_hits_on_usable_entries ON build_access_log AS RESTRICTIVE FOR INSERT TO honua_app
    WITH CHECK (cache_entry_id IS NULL
                OR EXISTS (SELECT 1 FROM build_cache_registry e
                            WHERE e.id = cache_entry_id AND e.manifest_hash = build_access_log.manifest_hash
                              AND e.tier = build_access_log.tier));

-- ---------------------------------------------------------------------------------------------------------------------
-- 7. Functions: nothing for PUBLIC, now and for functions created later; explicit grants per role.
-- ---------------------------------------------------------------------------------------------------------------------
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC, honua_app, honua_worker;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM honua_app, honua_worker;

-- extension functions (pgcrypto, uuid-ossp) used by column defaults and helpers
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
              WHERE p.pronamespace = 'public'::regnamespace
                AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO honua_app, honua_worker, honua_admin', f);
    END LOOP;
END $$;

-- helpers used in defaults, checks, policies and views: every role
GRANT EXECUTE ON FUNCTION
    honua_current_tenant(), uuid_generate_v7(), license_is_valid(TEXT, BOOLEAN, TIMESTAMPTZ, TIMESTAMPTZ),
    current_quota_month(), cache_tier_rank(TEXT), customer_cache_tier_rank(TEXT), feature_flags_valid(JSONB),
    api_key_scopes_valid(TEXT[]), manifest_digest(JSONB),
    audit_event_hash(TEXT, TEXT, BIGINT, TEXT, TEXT, TEXT, TEXT, JSONB, TIMESTAMPTZ)
    TO honua_app, honua_worker, honua_admin;

-- the build queue: as in V10 for both roles (the queue migration refines these)
GRANT EXECUTE ON FUNCTION
    cancel_build(UUID, TEXT), claim_builds(TEXT, INTEGER, INTEGER), complete_build(UUID, TEXT, TEXT, TEXT),
    complete_build_with_result(UUID, TEXT, INTEGER, BIGINT, NUMERIC, BIGINT, TEXT, TEXT, BIGINT, INTEGER, TEXT, TEXT),
    enqueue_builds(TEXT[], INTEGER[], UUID[], TEXT[], TEXT[], BIGINT[], INTEGER[], INTEGER[], TEXT[], TEXT[], TEXT[], BIGINT),
    fail_build(UUID, TEXT, TEXT, INTEGER, INTEGER, TEXT, TEXT), get_next_build_for_worker(TEXT),
    handle_build_timeouts(), heartbeat_build(UUID, TEXT), release_build(UUID, TEXT), retry_failed_build(UUID),
    stuck_builds(INTEGER), update_build_progress(UUID, TEXT, INTEGER, TEXT)
    TO honua_app, honua_worker;

-- the application (tenant-scoped by row-level security inside these invoker-rights functions)
GRANT EXECUTE ON FUNCTION
    cache_lookup(TEXT, TEXT, TEXT), cache_lookup_and_record(TEXT, TEXT, TEXT), record_cache_access(TEXT, TEXT, TEXT, BOOLEAN),
    get_build_performance(DATE, DATE), get_cache_hit_rate(TEXT, INTEGER), get_license_quota_usage(TEXT),
    create_manifest_version(UUID, JSONB, UUID), license_feature_flags(UUID),
    verify_api_key(TEXT), verify_license_key(TEXT)
    TO honua_app, honua_worker, honua_admin;

-- the service role: cross-tenant jobs, cache registration, recorder batches, partition upkeep, reports
GRANT EXECUTE ON FUNCTION
    cache_register(TEXT, TEXT, TEXT, TEXT, TEXT, BIGINT, INTEGER, INTEGER, TIMESTAMPTZ),
    record_cache_accesses(UUID, TEXT[], TEXT[], TEXT[], BOOLEAN[], BIGINT[]), prune_cache_access_batches(INTERVAL),
    expire_old_conversations(INTEGER), revoke_expired_credentials(), cleanup_old_build_logs(INTEGER),
    purge_soft_deleted_records(INTEGER), maintain_partitions(TIMESTAMPTZ), list_partitions(TEXT),
    invalid_registry_credentials(), encrypted_rows_not_under_key(TEXT, TEXT, UUID, INTEGER), encryption_key_usage()
    TO honua_worker;

-- the administrative role: license lifecycle and key-rotation reports
GRANT EXECUTE ON FUNCTION
    expire_licenses(), licenses_expiring_within(BIGINT), encrypted_rows_not_under_key(TEXT, TEXT, UUID, INTEGER),
    encryption_key_usage(), invalid_registry_credentials()
    TO honua_admin;
-- expire_licenses() updates licenses: the maintenance job runs it as the service role, with the owner's rights
-- (R__licensing.sql makes it SECURITY DEFINER)
GRANT EXECUTE ON FUNCTION expire_licenses(), licenses_expiring_within(BIGINT) TO honua_worker;
