-- =====================================================================================================================
-- V10: tenancy and security (issue 6, part A)
--   * cluster roles honua_app (tenant-scoped application role) and honua_worker (cross-tenant service role), NOLOGIN;
--     least privilege: SELECT/INSERT/UPDATE/DELETE on tables, USAGE/SELECT on sequences, EXECUTE on functions;
--     no TRUNCATE, no DDL, never owners. Default privileges cover tables later migrations create.
--   * row-level security on every tenant-owned table, keyed on the transaction setting honua.tenant_id;
--     honua_enable_tenant_rls(...) / honua_enable_tenant_rls_via_parent(...) for tables of later migrations
--   * views run with the caller's rights (security_invoker), so they cannot leak other tenants' rows
--   * audit_events: append-only, hash-chained per tenant; honua_audit_table(tbl) audits a table's row changes
--   * maintenance_runs: one row per (job, interval) so that exactly one service instance runs each job per interval
--
-- Trust model (documented in .notes/tenancy.md): honua_app is the application. It must set honua.tenant_id (the DAO
-- does it per transaction with set_config(..., true), i.e. SET LOCAL); without it every tenant-owned table is empty to
-- it. A statement running as honua_app can change that setting itself (set_config is a plain function), so RLS
-- protects against queries that forget a tenant filter, not against SQL injection that rewrites the setting.
-- =====================================================================================================================

-- ---------------------------------------------------------------------------------------------------------------------
-- 1. Roles (cluster-wide: created once, race-safe, because many databases of one server migrate concurrently)
-- ---------------------------------------------------------------------------------------------------------------------
DO $$
DECLARE
    r TEXT;
BEGIN
    FOREACH r IN ARRAY ARRAY['honua_app', 'honua_worker'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created by a concurrent migration of another database on the same server
            END;
        END IF;
    END LOOP;
END $$;

-- (No COMMENT ON ROLE: shared catalogs updated by concurrent migrations fail with "tuple concurrently updated".)

-- The public schema: usable, not writable (no DDL). PostgreSQL 15+ already denies CREATE to PUBLIC; this makes it
-- explicit for databases created from older templates.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO honua_app, honua_worker;

-- ---------------------------------------------------------------------------------------------------------------------
-- 2. Row-level security helpers
-- ---------------------------------------------------------------------------------------------------------------------

-- The tenant of the current transaction (NULL when none is set). Every policy compares against it.
CREATE FUNCTION honua_current_tenant() RETURNS TEXT
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('honua.tenant_id', true), '');
$$;
COMMENT ON FUNCTION honua_current_tenant() IS
    'The tenant (customer id) set for this transaction in honua.tenant_id, NULL when none: then no tenant row is visible.';

-- ENABLE + FORCE row-level security on a table (and on each of its partitions, which can be queried directly) with:
--   honua_tenant_isolation  TO honua_app     USING / WITH CHECK (<tenant_col> = honua.tenant_id)
--   honua_worker_all        TO honua_worker  USING / WITH CHECK (true)
-- Idempotent: re-running replaces the policies. Later migrations call it for their new tenant-owned tables and for
-- every partition they create.
CREATE FUNCTION honua_enable_tenant_rls(tbl regclass, tenant_col TEXT)
    RETURNS VOID
    LANGUAGE plpgsql AS $$
DECLARE
    part regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = tenant_col AND NOT attisdropped AND attnum > 0) THEN
        RAISE EXCEPTION 'table % has no column %', tbl, tenant_col USING ERRCODE = '42703';
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS honua_tenant_isolation ON %s', tbl);
    EXECUTE format('DROP POLICY IF EXISTS honua_worker_all ON %s', tbl);
    EXECUTE format('CREATE POLICY honua_tenant_isolation ON %s AS PERMISSIVE FOR ALL TO honua_app '
                   'USING (%I = honua_current_tenant()) WITH CHECK (%I = honua_current_tenant())', tbl, tenant_col, tenant_col);
    EXECUTE format('CREATE POLICY honua_worker_all ON %s AS PERMISSIVE FOR ALL TO honua_worker USING (true) WITH CHECK (true)', tbl);
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = tbl LOOP
        PERFORM honua_enable_tenant_rls(part, tenant_col);
    END LOOP;
END $$;
COMMENT ON FUNCTION honua_enable_tenant_rls(regclass, TEXT) IS
    'Enables and forces RLS on a tenant-owned table and its partitions: honua_app sees rows whose tenant_col equals '
    'honua.tenant_id, honua_worker sees all. Call it for every new tenant-owned table and partition.';

-- The same for a table without a tenant column: a row belongs to the tenant that owns its parent row. The parent
-- must itself be tenant-owned (its own policy is applied inside the sub-query too).
CREATE FUNCTION honua_enable_tenant_rls_via_parent(tbl regclass, fk_col TEXT, parent regclass, parent_key TEXT,
                                                   parent_tenant_col TEXT DEFAULT 'customer_id')
    RETURNS VOID
    LANGUAGE plpgsql AS $$
DECLARE
    part regclass;
    cond TEXT;
BEGIN
    cond := format('EXISTS (SELECT 1 FROM %s p WHERE p.%I = %s.%I AND p.%I = honua_current_tenant())',
                   parent, parent_key, tbl, fk_col, parent_tenant_col);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS honua_tenant_isolation ON %s', tbl);
    EXECUTE format('DROP POLICY IF EXISTS honua_worker_all ON %s', tbl);
    EXECUTE format('CREATE POLICY honua_tenant_isolation ON %s AS PERMISSIVE FOR ALL TO honua_app USING (%s) WITH CHECK (%s)',
                   tbl, cond, cond);
    EXECUTE format('CREATE POLICY honua_worker_all ON %s AS PERMISSIVE FOR ALL TO honua_worker USING (true) WITH CHECK (true)', tbl);
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = tbl LOOP
        PERFORM honua_enable_tenant_rls_via_parent(part, fk_col, parent, parent_key, parent_tenant_col);
    END LOOP;
END $$;
COMMENT ON FUNCTION honua_enable_tenant_rls_via_parent(regclass, TEXT, regclass, TEXT, TEXT) IS
    'Enables and forces RLS on a table whose rows belong to the tenant of their parent row (fk_col -> parent.parent_key).';

-- Tenant-owned tables of V1..V6.
SELECT honua_enable_tenant_rls('customers', 'customer_id');
SELECT honua_enable_tenant_rls('licenses', 'customer_id');
SELECT honua_enable_tenant_rls('registry_credentials', 'customer_id');
SELECT honua_enable_tenant_rls('build_access_log', 'customer_id');
SELECT honua_enable_tenant_rls('build_queue', 'customer_id');
SELECT honua_enable_tenant_rls('build_queue_slots', 'customer_id');
SELECT honua_enable_tenant_rls('conversations', 'customer_id');
SELECT honua_enable_tenant_rls('build_manifests', 'customer_id');
SELECT honua_enable_tenant_rls_via_parent('build_results', 'build_id', 'build_queue', 'id');
SELECT honua_enable_tenant_rls_via_parent('build_artifacts', 'build_id', 'build_queue', 'id');
SELECT honua_enable_tenant_rls_via_parent('build_events', 'build_id', 'build_queue', 'id');
SELECT honua_enable_tenant_rls_via_parent('build_metrics', 'build_id', 'build_queue', 'id');
SELECT honua_enable_tenant_rls_via_parent('build_dependencies', 'build_id', 'build_queue', 'id');
SELECT honua_enable_tenant_rls_via_parent('conversation_messages', 'conversation_id', 'conversations', 'id');
SELECT honua_enable_tenant_rls_via_parent('requirement_extractions', 'conversation_id', 'conversations', 'id');

-- Foreign-key checks do not apply row-level security: without these, a tenant could point its rows at another
-- tenant's rows (and learn from the error whether an id exists). A reference written by honua_app must be to a row
-- honua_app can see (the parent's own policy filters the sub-query). Restrictive: they narrow the policies above.
CREATE FUNCTION honua_restrict_reference(tbl regclass, fk_col TEXT, parent regclass, parent_key TEXT)
    RETURNS VOID
    LANGUAGE plpgsql AS $$
DECLARE
    v_name TEXT := 'honua_ref_' || fk_col;
    cond   TEXT;
BEGIN
    cond := format('%s.%I IS NULL OR EXISTS (SELECT 1 FROM %s p WHERE p.%I = %s.%I)', tbl, fk_col, parent, parent_key, tbl, fk_col);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %s', v_name || '_insert', tbl);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %s', v_name || '_update', tbl);
    EXECUTE format('CREATE POLICY %I ON %s AS RESTRICTIVE FOR INSERT TO honua_app WITH CHECK (%s)', v_name || '_insert', tbl, cond);
    EXECUTE format('CREATE POLICY %I ON %s AS RESTRICTIVE FOR UPDATE TO honua_app USING (true) WITH CHECK (%s)',
                   v_name || '_update', tbl, cond);
END $$;
COMMENT ON FUNCTION honua_restrict_reference(regclass, TEXT, regclass, TEXT) IS
    'Restrictive policies: rows honua_app inserts or updates may only reference parent rows visible to it.';

SELECT honua_restrict_reference('build_dependencies', 'depends_on_build_id', 'build_queue', 'id');
SELECT honua_restrict_reference('build_queue', 'manifest_id', 'build_manifests', 'id');
SELECT honua_restrict_reference('build_manifests', 'conversation_id', 'conversations', 'id');
SELECT honua_restrict_reference('requirement_extractions', 'manifest_id', 'build_manifests', 'id');

-- build_cache_registry is shared across tenants (deduplicated by manifest hash and tier): every tenant reads every
-- entry, but a tenant may only write entries it created. Hit statistics of any entry are updated by the access-log
-- trigger, which therefore runs with its owner's rights (SECURITY DEFINER, fixed search_path).
ALTER TABLE build_cache_registry ENABLE ROW LEVEL SECURITY;
ALTER TABLE build_cache_registry FORCE ROW LEVEL SECURITY;
CREATE POLICY honua_shared_read ON build_cache_registry FOR SELECT TO honua_app USING (true);
CREATE POLICY honua_tenant_insert ON build_cache_registry FOR INSERT TO honua_app
    WITH CHECK (created_by_customer_id = honua_current_tenant());
CREATE POLICY honua_tenant_update ON build_cache_registry FOR UPDATE TO honua_app
    USING (created_by_customer_id = honua_current_tenant()) WITH CHECK (created_by_customer_id = honua_current_tenant());
CREATE POLICY honua_tenant_delete ON build_cache_registry FOR DELETE TO honua_app
    USING (created_by_customer_id = honua_current_tenant());
CREATE POLICY honua_worker_all ON build_cache_registry FOR ALL TO honua_worker USING (true) WITH CHECK (true);
ALTER FUNCTION update_cache_stats() SECURITY DEFINER SET search_path = public, pg_temp;

-- Views run with the rights (and the RLS policies) of the querying role, not of their owner (PostgreSQL 15+): every
-- view of the schema, including those of migrations merged before this one.
DO $$
DECLARE
    v regclass;
BEGIN
    FOR v IN SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v' LOOP
        EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', v);
    END LOOP;
END $$;

-- Tenant-owned tables of migrations merged before this one (any top-level table with a customer_id column that has no
-- row-level security yet). Tables whose tenant is reached through a parent row must call
-- honua_enable_tenant_rls_via_parent themselves; TenantIsolationTest lists every table left without RLS.
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT c.oid::regclass FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                AND NOT c.relrowsecurity
                AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id' AND NOT a.attisdropped)
              ORDER BY c.relname LOOP
        PERFORM honua_enable_tenant_rls(t, 'customer_id');
    END LOOP;
END $$;

-- Partitions created later (partition upkeep creates monthly ones at run time) would get the default privileges and no
-- row-level security: read directly, they would bypass the parent's policies. This event trigger closes every new
-- partition of a table with row-level security at the end of the DDL command that created or attached it: no
-- privilege for honua_app (access goes through the parent, whose policies apply), RLS enabled and forced, and the
-- worker policy. Event triggers need a superuser: when the migration user is not one, the trigger is skipped with a
-- notice and partition creators must call honua_enable_tenant_rls / _via_parent on each new partition themselves.
CREATE FUNCTION honua_secure_new_partitions() RETURNS VOID
    LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    part regclass;
BEGIN
    -- one partition at a time, re-read each turn: the ALTER TABLE below fires the event trigger, which calls this
    -- function again; the partition is complete by then (policy first, RLS enabled and forced in one statement), so
    -- the nested call skips it and secures the others, and this loop finds them done
    LOOP
        SELECT c.oid::regclass INTO part
          FROM pg_class c
          JOIN pg_inherits i ON i.inhrelid = c.oid
          JOIN pg_class parent ON parent.oid = i.inhparent
         WHERE c.relnamespace = 'public'::regnamespace AND c.relispartition AND c.relkind IN ('r', 'p')
           AND parent.relrowsecurity AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
         LIMIT 1;
        EXIT WHEN part IS NULL;
        EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, honua_app', part);
        IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = part AND polname = 'honua_worker_all') THEN
            EXECUTE format('CREATE POLICY honua_worker_all ON %s AS PERMISSIVE FOR ALL TO honua_worker USING (true) WITH CHECK (true)', part);
        END IF;
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', part);
    END LOOP;
END $$;
COMMENT ON FUNCTION honua_secure_new_partitions() IS
    'Locks down partitions of RLS tables that are not yet: RLS enabled and forced, no honua_app privilege, the worker '
    'policy. Called by the event trigger below and by maintain_partitions() (V12).';

CREATE FUNCTION honua_secure_partitions() RETURNS event_trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM honua_secure_new_partitions();
END $$;
COMMENT ON FUNCTION honua_secure_partitions() IS
    'Event trigger: new partitions of RLS tables get RLS (forced), no honua_app privilege and the worker policy.';

DO $$
BEGIN
    CREATE EVENT TRIGGER honua_secure_partitions ON ddl_command_end
        WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'ALTER TABLE')
        EXECUTE FUNCTION honua_secure_partitions();
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not a superuser: event trigger honua_secure_partitions not created; secure new partitions with honua_enable_tenant_rls';
END $$;

-- ---------------------------------------------------------------------------------------------------------------------
-- 3. Audit log: append-only, hash-chained per tenant
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- no foreign key: the audit trail of a customer outlives the customer (purge)
    tenant_id   TEXT NOT NULL CONSTRAINT chk_audit_events_tenant CHECK (length(tenant_id) BETWEEN 1 AND 100),
    seq         BIGINT NOT NULL CONSTRAINT chk_audit_events_seq CHECK (seq >= 1),
    actor       TEXT NOT NULL CONSTRAINT chk_audit_events_actor CHECK (length(actor) BETWEEN 1 AND 200),
    action      TEXT NOT NULL CONSTRAINT chk_audit_events_action CHECK (length(action) BETWEEN 1 AND 100),
    entity_type TEXT NOT NULL CONSTRAINT chk_audit_events_entity_type CHECK (length(entity_type) BETWEEN 1 AND 100),
    entity_id   TEXT CONSTRAINT chk_audit_events_entity_id CHECK (length(entity_id) BETWEEN 1 AND 200),
    details     JSONB NOT NULL DEFAULT '{}' CONSTRAINT chk_audit_events_details CHECK (jsonb_typeof(details) = 'object'),
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    prev_hash   TEXT NOT NULL CONSTRAINT chk_audit_events_prev_hash CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        TEXT NOT NULL CONSTRAINT chk_audit_events_hash CHECK (hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT uq_audit_events_tenant_seq UNIQUE (tenant_id, seq)
);
COMMENT ON TABLE audit_events IS
    'Append-only audit trail. Per tenant, seq is 1, 2, 3, ... and hash = sha256(prev_hash || canonical row), prev_hash '
    'being the previous event''s hash (64 zeros for the first). UPDATE, DELETE and TRUNCATE are refused.';
CREATE INDEX idx_audit_events_tenant_time ON audit_events (tenant_id, occurred_at);
COMMENT ON INDEX idx_audit_events_tenant_time IS 'Audit events of a tenant in a period.';
CREATE INDEX idx_audit_events_entity ON audit_events (entity_type, entity_id);
COMMENT ON INDEX idx_audit_events_entity IS 'History of one entity.';

-- The hash of an event: sha256 over prev_hash and a canonical text of the row (a JSON array; jsonb renders objects
-- with sorted keys and one spelling per value, so the text does not depend on how the row was written).
CREATE FUNCTION audit_event_hash(p_prev_hash TEXT, p_tenant_id TEXT, p_seq BIGINT, p_actor TEXT, p_action TEXT,
                                 p_entity_type TEXT, p_entity_id TEXT, p_details JSONB, p_occurred_at TIMESTAMPTZ)
    RETURNS TEXT
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(p_prev_hash || '|' || jsonb_build_array(
               p_tenant_id, p_seq, p_actor, p_action, p_entity_type, p_entity_id, p_details,
               to_char(p_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8')), 'hex');
$$;
COMMENT ON FUNCTION audit_event_hash(TEXT, TEXT, BIGINT, TEXT, TEXT, TEXT, TEXT, JSONB, TIMESTAMPTZ) IS
    'sha256(prev_hash || ''|'' || canonical JSON array of the event), hex. Used by the insert trigger and verifyChain.';

-- Before insert: the database, not the writer, numbers and chains the event. Writers of one tenant are serialised by a
-- transaction-scoped advisory lock; the unique (tenant_id, seq) key refuses a fork should a writer run under a
-- snapshot older than the lock (REPEATABLE READ).
CREATE FUNCTION audit_events_chain() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    v_seq  BIGINT;
    v_hash TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('honua.audit:' || NEW.tenant_id));
    SELECT e.seq, e.hash INTO v_seq, v_hash
      FROM audit_events e WHERE e.tenant_id = NEW.tenant_id ORDER BY e.seq DESC LIMIT 1;
    NEW.seq := coalesce(v_seq, 0) + 1;
    NEW.prev_hash := coalesce(v_hash, repeat('0', 64));
    NEW.occurred_at := clock_timestamp();
    NEW.actor := coalesce(NEW.actor, nullif(current_setting('honua.actor', true), ''), current_user::text);
    NEW.details := coalesce(NEW.details, '{}'::jsonb);
    NEW.hash := audit_event_hash(NEW.prev_hash, NEW.tenant_id, NEW.seq, NEW.actor, NEW.action, NEW.entity_type,
                                 NEW.entity_id, NEW.details, NEW.occurred_at);
    RETURN NEW;
END $$;
CREATE TRIGGER trg_audit_events_chain BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_chain();

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = '42501';
END $$;
CREATE TRIGGER trg_audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER trg_audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- honua_app reads and appends events of its own tenant; honua_worker of every tenant (policies below). Nobody but
-- the owner holds UPDATE, DELETE or TRUNCATE (revoked after the grants, section 5).
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY honua_tenant_read ON audit_events FOR SELECT TO honua_app USING (tenant_id = honua_current_tenant());
CREATE POLICY honua_tenant_append ON audit_events FOR INSERT TO honua_app WITH CHECK (tenant_id = honua_current_tenant());
CREATE POLICY honua_worker_read ON audit_events FOR SELECT TO honua_worker USING (true);
CREATE POLICY honua_worker_append ON audit_events FOR INSERT TO honua_worker WITH CHECK (true);

-- Row trigger writing one audit event per inserted, updated or deleted row. TG_ARGV[0]: the tenant column.
-- Secret columns (*_encrypted, *_hash, *secret*, *password*, *token*) never enter the details; when one of them
-- changed, only its name is recorded (secret_columns_changed).
CREATE FUNCTION honua_audit_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    v_tenant_col TEXT := coalesce(TG_ARGV[0], 'customer_id');
    v_secret     TEXT := '(_encrypted$|_hash$|^encrypted_|secret|password|token)';
    v_old        JSONB;
    v_new        JSONB;
    v_row        JSONB;
    v_details    JSONB;
    v_changed    JSONB;
    v_secrets    JSONB;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN v_old := to_jsonb(OLD); END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN v_new := to_jsonb(NEW); END IF;
    v_row := coalesce(v_new, v_old);
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_object('old', v_old -> n.key, 'new', n.value)), '{}')
          INTO v_changed
          FROM jsonb_each(v_new) n
         WHERE n.value IS DISTINCT FROM v_old -> n.key AND n.key !~ v_secret AND n.key <> 'updated_at';
        SELECT coalesce(jsonb_agg(n.key ORDER BY n.key), '[]')
          INTO v_secrets
          FROM jsonb_each(v_new) n
         WHERE n.value IS DISTINCT FROM v_old -> n.key AND n.key ~ v_secret;
        IF v_changed = '{}' AND v_secrets = '[]' THEN
            RETURN NULL;  -- nothing but updated_at changed
        END IF;
        v_details := jsonb_build_object('changed', v_changed);
        IF v_secrets <> '[]' THEN
            v_details := v_details || jsonb_build_object('secret_columns_changed', v_secrets);
        END IF;
    ELSE
        SELECT coalesce(jsonb_object_agg(r.key, r.value), '{}') INTO v_details
          FROM jsonb_each(v_row) r WHERE r.key !~ v_secret;
        v_details := jsonb_build_object('row', v_details);
    END IF;
    INSERT INTO audit_events (tenant_id, actor, action, entity_type, entity_id, details)
    VALUES (v_row ->> v_tenant_col,
            coalesce(nullif(current_setting('honua.actor', true), ''), current_user::text),
            TG_TABLE_NAME || '.' || lower(TG_OP),
            TG_TABLE_NAME,
            coalesce(v_row ->> 'id', v_row ->> v_tenant_col),
            v_details);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION honua_audit_row() IS
    'Trigger: one audit_events row per changed row (action <table>.<insert|update|delete>), secrets excluded.';

CREATE FUNCTION honua_audit_table(tbl regclass, tenant_col TEXT DEFAULT 'customer_id')
    RETURNS VOID
    LANGUAGE plpgsql AS $$
DECLARE
    v_name TEXT := 'trg_' || (SELECT relname FROM pg_class WHERE oid = tbl) || '_audit';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = tenant_col AND NOT attisdropped AND attnum > 0) THEN
        RAISE EXCEPTION 'table % has no column %', tbl, tenant_col USING ERRCODE = '42703';
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_name, tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION honua_audit_row(%L)',
                   v_name, tbl, tenant_col);
END $$;
COMMENT ON FUNCTION honua_audit_table(regclass, TEXT) IS
    'Attaches the audit trigger to a tenant-owned table: every row change appends an audit event (secrets excluded).';

SELECT honua_audit_table('customers');
SELECT honua_audit_table('licenses');
SELECT honua_audit_table('registry_credentials');

-- ---------------------------------------------------------------------------------------------------------------------
-- 4. Maintenance runs: the (job, interval) key lets exactly one service instance run a job per interval
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE maintenance_runs (
    job            TEXT NOT NULL CONSTRAINT chk_maintenance_runs_job CHECK (job ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
    interval_start TIMESTAMPTZ NOT NULL,
    instance_id    TEXT NOT NULL CONSTRAINT chk_maintenance_runs_instance CHECK (length(instance_id) BETWEEN 1 AND 200),
    status         TEXT NOT NULL CONSTRAINT chk_maintenance_runs_status CHECK (status IN ('succeeded', 'failed')),
    affected_rows  BIGINT,
    error          TEXT CONSTRAINT chk_maintenance_runs_error CHECK (length(error) <= 10000),
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (job, interval_start)
);
COMMENT ON TABLE maintenance_runs IS
    'One row per maintenance job and interval, written in the transaction that ran the job (succeeded) or right after '
    'it failed: its primary key makes every other instance skip that interval.';
CREATE INDEX idx_maintenance_runs_finished ON maintenance_runs (finished_at);
COMMENT ON INDEX idx_maintenance_runs_finished IS 'Recent runs across jobs; retention.';

-- ---------------------------------------------------------------------------------------------------------------------
-- 5. Privileges (after every object above exists)
-- ---------------------------------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO honua_app, honua_worker;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO honua_app, honua_worker;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO honua_app, honua_worker;
REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM honua_app, honua_worker;

-- Objects later migrations create (by the role that runs the migrations) get the same privileges.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO honua_app, honua_worker;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO honua_app, honua_worker;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO honua_app, honua_worker;

-- Append-only for everyone but the owner.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC, honua_app, honua_worker;
-- Maintenance bookkeeping is the workers' business only.
REVOKE ALL ON maintenance_runs FROM PUBLIC, honua_app;
-- Materialized views cannot have row-level security: they are the workers' (and reporting tools') only.
DO $$
DECLARE
    m regclass;
BEGIN
    FOR m IN SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'm' LOOP
        EXECUTE format('REVOKE ALL ON %s FROM PUBLIC, honua_app', m);
    END LOOP;
END $$;
-- Partitions are reached through their parent (whose privileges and policies apply); direct access is not needed.
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT i.inhrelid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent
                 WHERE c.relkind = 'p' AND c.relnamespace = 'public'::regnamespace LOOP
        EXECUTE format('REVOKE ALL ON %s FROM honua_app', part);
    END LOOP;
END $$;
-- The RLS helpers are DDL: only the migration owner runs them.
REVOKE EXECUTE ON FUNCTION honua_enable_tenant_rls(regclass, TEXT) FROM PUBLIC, honua_app, honua_worker;
REVOKE EXECUTE ON FUNCTION honua_enable_tenant_rls_via_parent(regclass, TEXT, regclass, TEXT, TEXT) FROM PUBLIC, honua_app, honua_worker;
REVOKE EXECUTE ON FUNCTION honua_audit_table(regclass, TEXT) FROM PUBLIC, honua_app, honua_worker;
REVOKE EXECUTE ON FUNCTION honua_secure_new_partitions() FROM PUBLIC, honua_app, honua_worker;
REVOKE EXECUTE ON FUNCTION honua_restrict_reference(regclass, TEXT, regclass, TEXT) FROM PUBLIC, honua_app, honua_worker;
REVOKE EXECUTE ON FUNCTION honua_secure_partitions() FROM PUBLIC, honua_app, honua_worker;
