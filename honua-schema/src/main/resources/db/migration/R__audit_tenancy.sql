-- Tenancy (row-level security helpers, partition lock-down) and the hash-chained audit log.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.audit_event_hash(p_prev_hash text, p_tenant_id text, p_seq bigint, p_actor text, p_action text, p_entity_type text, p_entity_id text, p_details jsonb, p_occurred_at timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT encode(sha256(convert_to(p_prev_hash || '|' || jsonb_build_array(
               p_tenant_id, p_seq, p_actor, p_action, p_entity_type, p_entity_id, p_details,
               to_char(p_occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text, 'UTF8')), 'hex');
$function$;
COMMENT ON FUNCTION public.audit_event_hash(text,text,bigint,text,text,text,text,jsonb,timestamp with time zone) IS 'sha256(prev_hash || ''|'' || canonical JSON array of the event), hex. Used by the insert trigger and verifyChain.';

CREATE OR REPLACE FUNCTION public.audit_events_chain()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_seq  BIGINT;
    v_hash TEXT;
BEGIN
    -- serialise the writers of one tenant on its lock row (row-level security: the application role reaches only
    -- its own tenant's row, so no other role can hold a tenant's chain; no advisory key anyone could take)
    INSERT INTO public.honua_locks (scope, key) VALUES ('audit', NEW.tenant_id) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM public.honua_locks l WHERE l.scope = 'audit' AND l.key = NEW.tenant_id FOR UPDATE;
    SELECT e.seq, e.hash INTO v_seq, v_hash
      FROM public.audit_events e WHERE e.tenant_id = NEW.tenant_id ORDER BY e.seq DESC LIMIT 1;
    NEW.seq := coalesce(v_seq, 0) + 1;
    NEW.prev_hash := coalesce(v_hash, repeat('0', 64));
    NEW.occurred_at := clock_timestamp();
    NEW.actor := coalesce(NEW.actor, nullif(current_setting('honua.actor', true), ''), current_user::text);
    NEW.details := coalesce(NEW.details, '{}'::jsonb);
    NEW.hash := public.audit_event_hash(NEW.prev_hash, NEW.tenant_id, NEW.seq, NEW.actor, NEW.action, NEW.entity_type,
                                 NEW.entity_id, NEW.details, NEW.occurred_at);
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.audit_events_refuse_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = '42501';
END $function$;

CREATE OR REPLACE FUNCTION public.honua_audit_row()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
    INSERT INTO public.audit_events (tenant_id, actor, action, entity_type, entity_id, details)
    VALUES (v_row ->> v_tenant_col,
            coalesce(nullif(current_setting('honua.actor', true), ''), current_user::text),
            TG_TABLE_NAME || '.' || lower(TG_OP),
            TG_TABLE_NAME,
            coalesce(v_row ->> 'id', v_row ->> v_tenant_col),
            v_details);
    RETURN NULL;
END $function$;
COMMENT ON FUNCTION public.honua_audit_row() IS 'Trigger: one audit_events row per changed row (action <table>.<insert|update|delete>), secrets excluded.';

CREATE OR REPLACE FUNCTION public.honua_audit_table(tbl regclass, tenant_col text DEFAULT 'customer_id'::text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_name TEXT := 'trg_' || (SELECT relname FROM pg_class WHERE oid = tbl) || '_audit';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = tenant_col AND NOT attisdropped AND attnum > 0) THEN
        RAISE EXCEPTION 'table % has no column %', tbl, tenant_col USING ERRCODE = '42703';
    END IF;
    EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', v_name, tbl);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION public.honua_audit_row(%L)',
                   v_name, tbl, tenant_col);
END $function$;
COMMENT ON FUNCTION public.honua_audit_table(regclass,text) IS 'Attaches the audit trigger to a tenant-owned table: every row change appends an audit event (secrets excluded).';

CREATE OR REPLACE FUNCTION public.honua_current_tenant()
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT nullif(current_setting('honua.tenant_id', true), '');
$function$;
COMMENT ON FUNCTION public.honua_current_tenant() IS 'The tenant (customer id) set for this transaction in honua.tenant_id, NULL when none: then no tenant row is visible.';

CREATE OR REPLACE FUNCTION public.honua_enable_tenant_rls(tbl regclass, tenant_col text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
                   'USING (%I = public.honua_current_tenant()) WITH CHECK (%I = public.honua_current_tenant())', tbl, tenant_col, tenant_col);
    EXECUTE format('CREATE POLICY honua_worker_all ON %s AS PERMISSIVE FOR ALL TO honua_worker USING (true) WITH CHECK (true)', tbl);
    -- the owner (SECURITY DEFINER code) sees every row also when it is not a superuser (FORCE binds the owner too)
    EXECUTE format('DROP POLICY IF EXISTS honua_owner_all ON %s', tbl);
    EXECUTE format('CREATE POLICY honua_owner_all ON %s AS PERMISSIVE FOR ALL TO %I USING (true) WITH CHECK (true)',
                   tbl, (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c WHERE c.oid = tbl));
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = tbl LOOP
        PERFORM public.honua_enable_tenant_rls(part, tenant_col);
    END LOOP;
END $function$;
COMMENT ON FUNCTION public.honua_enable_tenant_rls(regclass,text) IS 'Enables and forces RLS on a tenant-owned table and its partitions: honua_app sees rows whose tenant_col equals honua.tenant_id, honua_worker sees all. Call it for every new tenant-owned table and partition.';

CREATE OR REPLACE FUNCTION public.honua_enable_tenant_rls_via_parent(tbl regclass, fk_col text, parent regclass, parent_key text, parent_tenant_col text DEFAULT 'customer_id'::text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    part regclass;
    cond TEXT;
BEGIN
    cond := format('EXISTS (SELECT 1 FROM %s p WHERE p.%I = %s.%I AND p.%I = public.honua_current_tenant())',
                   parent, parent_key, tbl, fk_col, parent_tenant_col);
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS honua_tenant_isolation ON %s', tbl);
    EXECUTE format('DROP POLICY IF EXISTS honua_worker_all ON %s', tbl);
    EXECUTE format('CREATE POLICY honua_tenant_isolation ON %s AS PERMISSIVE FOR ALL TO honua_app USING (%s) WITH CHECK (%s)',
                   tbl, cond, cond);
    EXECUTE format('CREATE POLICY honua_worker_all ON %s AS PERMISSIVE FOR ALL TO honua_worker USING (true) WITH CHECK (true)', tbl);
    EXECUTE format('DROP POLICY IF EXISTS honua_owner_all ON %s', tbl);
    EXECUTE format('CREATE POLICY honua_owner_all ON %s AS PERMISSIVE FOR ALL TO %I USING (true) WITH CHECK (true)',
                   tbl, (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c WHERE c.oid = tbl));
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = tbl LOOP
        PERFORM public.honua_enable_tenant_rls_via_parent(part, fk_col, parent, parent_key, parent_tenant_col);
    END LOOP;
END $function$;
COMMENT ON FUNCTION public.honua_enable_tenant_rls_via_parent(regclass,text,regclass,text,text) IS 'Enables and forces RLS on a table whose rows belong to the tenant of their parent row (fk_col -> parent.parent_key).';

CREATE OR REPLACE FUNCTION public.honua_restrict_reference(tbl regclass, fk_col text, parent regclass, parent_key text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
END $function$;
COMMENT ON FUNCTION public.honua_restrict_reference(regclass,text,regclass,text) IS 'Restrictive policies: rows honua_app inserts or updates may only reference parent rows visible to it.';

CREATE OR REPLACE FUNCTION public.honua_secure_new_partitions()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
        IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = part AND polname = 'honua_owner_all') THEN
            EXECUTE format('CREATE POLICY honua_owner_all ON %s AS PERMISSIVE FOR ALL TO %I USING (true) WITH CHECK (true)',
                           part, (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = part));
        END IF;
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', part);
    END LOOP;
END $function$;
COMMENT ON FUNCTION public.honua_secure_new_partitions() IS 'Locks down partitions of RLS tables that are not yet: RLS enabled and forced, no honua_app privilege, the worker policy. Called by the event trigger below and by maintain_partitions() (V12).';

CREATE OR REPLACE FUNCTION public.honua_secure_partitions()
 RETURNS event_trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    -- only DDL on the schema's own tables can create or attach a partition of a tenant table; temporary tables and
    -- anything else (what non-superusers may run) are left alone, without calling the owner-only helper
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() c
                    WHERE c.schema_name = 'public' AND c.object_type IN ('table', 'table column', 'index')) THEN
        RETURN;
    END IF;
    PERFORM public.honua_secure_new_partitions();
END $function$;
COMMENT ON FUNCTION public.honua_secure_partitions() IS 'Event trigger: new partitions of RLS tables get RLS (forced), no honua_app privilege and the worker policy.';

-- ---------------------------------------------------------------------------------------------------------------------
-- The administrative path (issue 12). honua_admin holds no direct write on licenses, customers.tier or API keys
-- (V18): those change only through the SECURITY DEFINER functions below and in R__licensing.sql, EXECUTE for
-- honua_admin only. Each one changes the rows of one customer, which must be the transaction's tenant
-- (honua.tenant_id, as the DAOs set it), and keeps the caller as the audit actor: the audit triggers record
-- honua.actor when set, else the session's login role (inside owner-rights code current_user is the owner).
-- SQLSTATEs: 42501 customer is not the transaction's tenant, 22023 bad input, HA001 unknown customer, HA002 unknown
-- license, HA003 unknown API key, HA004 the row's state forbids the change, HA005 malformed feature flags; the table's
-- own constraints (23505 duplicate, 23514 check) as for a direct write.
-- ---------------------------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION public.honua_admin_enter(p_customer_id text)
 RETURNS text
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := current_setting('honua.actor', true);
BEGIN
    IF p_customer_id IS NULL OR p_customer_id IS DISTINCT FROM public.honua_current_tenant() THEN
        RAISE EXCEPTION 'permission denied: customer % is not this transaction''s tenant (set honua.tenant_id)', p_customer_id
            USING ERRCODE = '42501';
    END IF;
    PERFORM pg_catalog.set_config('honua.actor', coalesce(nullif(v_prev, ''), session_user::text), true);
    RETURN coalesce(v_prev, '');
END $function$;
COMMENT ON FUNCTION public.honua_admin_enter(text) IS 'Called first by the administrative SECURITY DEFINER functions: refuses (42501) a customer other than the transaction''s tenant and pins the audit actor to the caller (honua.actor, else the session''s login role). Returns the previous honua.actor for honua_admin_leave. Owner only.';
REVOKE EXECUTE ON FUNCTION public.honua_admin_enter(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.honua_admin_leave(p_prev_actor text)
 RETURNS void
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT pg_catalog.set_config('honua.actor', coalesce(p_prev_actor, ''), true);
$function$;
COMMENT ON FUNCTION public.honua_admin_leave(text) IS 'Restores honua.actor after an administrative function (see honua_admin_enter). Owner only.';
REVOKE EXECUTE ON FUNCTION public.honua_admin_leave(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.admin_create_customer(p_customer_id text, p_name text, p_email text, p_subscription_status text, p_tier text, p_metadata jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := public.honua_admin_enter(p_customer_id);
BEGIN
    IF p_customer_id !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' THEN
        RAISE EXCEPTION 'customer id must be 1..100 letters, digits, ''.'', ''_'' or ''-'' starting with a letter or digit' USING ERRCODE = '22023';
    END IF;
    IF p_name IS NULL OR length(p_name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1..200 characters' USING ERRCODE = '22023';
    END IF;
    IF p_email IS NOT NULL AND (length(p_email) > 320 OR p_email !~ '^[^@\s]+@[^@\s]+$') THEN
        RAISE EXCEPTION 'email must look like name@domain (at most 320 characters)' USING ERRCODE = '22023';
    END IF;
    IF p_subscription_status IS NULL OR p_subscription_status NOT IN ('trial', 'active', 'past_due', 'suspended', 'cancelled') THEN
        RAISE EXCEPTION 'unknown subscription status %', p_subscription_status USING ERRCODE = '22023';
    END IF;
    IF p_tier IS NULL OR p_tier NOT IN ('free', 'standard', 'professional', 'enterprise') THEN
        RAISE EXCEPTION 'unknown tier %', p_tier USING ERRCODE = '22023';
    END IF;
    IF p_metadata IS NULL OR jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object' USING ERRCODE = '22023';
    END IF;
    INSERT INTO public.customers (customer_id, name, email, subscription_status, tier, metadata)
    VALUES (p_customer_id, p_name, p_email, p_subscription_status, p_tier, p_metadata);
    PERFORM public.honua_admin_leave(v_prev);
END $function$;
COMMENT ON FUNCTION public.admin_create_customer(text,text,text,text,text,jsonb) IS 'Administrative (honua_admin): creates a customer with its tier; the customer must be the transaction''s tenant. 23505 when the id is taken. Audited (customers.insert, actor: the caller).';
REVOKE EXECUTE ON FUNCTION public.admin_create_customer(text,text,text,text,text,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_create_customer(text,text,text,text,text,jsonb) TO honua_admin;

CREATE OR REPLACE FUNCTION public.admin_update_customer(p_customer_id text, p_tier text, p_name text, p_email text, p_subscription_status text, p_metadata jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev    TEXT := public.honua_admin_enter(p_customer_id);
    v_deleted TIMESTAMPTZ;
BEGIN
    IF p_tier IS NULL OR p_tier NOT IN ('free', 'standard', 'professional', 'enterprise') THEN
        RAISE EXCEPTION 'unknown tier %', p_tier USING ERRCODE = '22023';
    END IF;
    IF p_name IS NOT NULL AND length(p_name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1..200 characters' USING ERRCODE = '22023';
    END IF;
    IF p_email IS NOT NULL AND p_email <> '' AND (length(p_email) > 320 OR p_email !~ '^[^@\s]+@[^@\s]+$') THEN
        RAISE EXCEPTION 'email must look like name@domain (at most 320 characters)' USING ERRCODE = '22023';
    END IF;
    IF p_subscription_status IS NOT NULL AND p_subscription_status NOT IN ('trial', 'active', 'past_due', 'suspended', 'cancelled') THEN
        RAISE EXCEPTION 'unknown subscription status %', p_subscription_status USING ERRCODE = '22023';
    END IF;
    IF p_metadata IS NOT NULL AND jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object' USING ERRCODE = '22023';
    END IF;
    SELECT c.deleted_at INTO v_deleted FROM public.customers c WHERE c.customer_id = p_customer_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no customer %', p_customer_id USING ERRCODE = 'HA001';
    END IF;
    IF v_deleted IS NOT NULL THEN
        RAISE EXCEPTION 'customer % is soft-deleted since %; restore it first', p_customer_id, v_deleted USING ERRCODE = 'HA004';
    END IF;
    UPDATE public.customers c
       SET tier = p_tier,
           name = coalesce(p_name, c.name),
           email = CASE WHEN p_email IS NULL THEN c.email ELSE nullif(p_email, '') END,
           subscription_status = coalesce(p_subscription_status, c.subscription_status),
           metadata = coalesce(p_metadata, c.metadata)
     WHERE c.customer_id = p_customer_id;
    PERFORM public.honua_admin_leave(v_prev);
END $function$;
COMMENT ON FUNCTION public.admin_update_customer(text,text,text,text,text,jsonb) IS 'Administrative (honua_admin): sets a customer''s tier and, in the same statement, the other fields given (NULL: unchanged; email '''': removed). The customer must be the transaction''s tenant; HA001 unknown, HA004 soft-deleted. Audited (customers.update, actor: the caller).';
REVOKE EXECUTE ON FUNCTION public.admin_update_customer(text,text,text,text,text,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_update_customer(text,text,text,text,text,jsonb) TO honua_admin;
