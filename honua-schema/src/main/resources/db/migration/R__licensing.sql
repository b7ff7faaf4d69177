-- Licenses, quotas, registry credentials, API keys, key-rotation reports.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations, except for the functions added after them (the administrative path, newest_license_state): their grants
-- follow their definitions.

CREATE OR REPLACE FUNCTION public.api_key_scopes_valid(p_scopes text[])
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT cardinality(p_scopes) <= 50
       AND NOT EXISTS (SELECT 1 FROM unnest(p_scopes) s WHERE s IS NULL OR s !~ '^[a-z][a-z0-9_.:*-]{0,63}$');
$function$;
COMMENT ON FUNCTION public.api_key_scopes_valid(text[]) IS 'At most 50 scopes, each 1..64 characters [a-z0-9_.:*-] starting with a letter.';

CREATE OR REPLACE FUNCTION public.build_queue_license_quota()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    r          RECORD;
    v_licensed BOOLEAN;
    v_max      INTEGER;
    v_used     BIGINT;
    v_month    DATE := public.current_quota_month();
BEGIN
    -- customers in key order: concurrent multi-customer batches lock counter rows in the same order (no deadlock)
    FOR r IN SELECT n.customer_id, count(*) AS n FROM new_rows n GROUP BY n.customer_id ORDER BY n.customer_id LOOP
        SELECT count(*) > 0,
               max(l.max_builds_per_month) FILTER (WHERE public.license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at))
          INTO v_licensed, v_max
          FROM public.licenses l WHERE l.customer_id = r.customer_id;
        IF NOT v_licensed THEN
            CONTINUE;   -- no license at all: not capped
        END IF;
        IF v_max IS NULL THEN
            -- DETAIL names the state of the newest license (REVOKED, SUSPENDED or EXPIRED), as verify_license reports it
            RAISE EXCEPTION 'customer % has no valid license (expired, revoked or suspended)', r.customer_id
                USING ERRCODE = 'HL003', DETAIL = 'license_status:' || public.newest_license_state(r.customer_id);
        END IF;
        UPDATE public.license_build_usage u SET builds_enqueued = u.builds_enqueued + r.n
         WHERE u.customer_id = r.customer_id AND u.period_start = v_month
        RETURNING u.builds_enqueued INTO v_used;
        IF NOT FOUND THEN
            -- first enqueue of the month (or first since licensed): start from what is already there, this batch included
            INSERT INTO public.license_build_usage AS u (customer_id, period_start, builds_enqueued)
            SELECT r.customer_id, v_month, count(*)
              FROM public.build_queue q
             WHERE q.customer_id = r.customer_id AND q.queued_at >= (v_month::timestamp AT TIME ZONE 'UTC')
                ON CONFLICT (customer_id, period_start) DO UPDATE SET builds_enqueued = u.builds_enqueued + r.n
            RETURNING u.builds_enqueued INTO v_used;
        END IF;
        IF v_used > v_max THEN
            RAISE EXCEPTION 'customer % exceeded its quota of % builds per month (% requested, % already enqueued)',
                r.customer_id, v_max, r.n, v_used - r.n
                USING ERRCODE = 'HL001', DETAIL = format('builds_per_month:%s:%s', v_max, v_used - r.n);
        END IF;
    END LOOP;
    RETURN NULL;
END $function$;
COMMENT ON FUNCTION public.build_queue_license_quota() IS 'Trigger: refuses (SQLSTATE HL001) an enqueue that takes a licensed customer beyond max_builds_per_month of its valid licenses, and (HL003, DETAIL license_status:<REVOKED|SUSPENDED|EXPIRED> of the newest license) any enqueue of a customer whose licenses are all invalid. Idempotently skipped rows are not counted (they are not in the transition table).';

CREATE OR REPLACE FUNCTION public.current_quota_month()
 RETURNS date
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date;
$function$;
COMMENT ON FUNCTION public.current_quota_month() IS 'First day of the current calendar month in UTC: the builds-per-month period.';

CREATE OR REPLACE FUNCTION public.encrypted_rows_not_under_key(p_table text, p_key_id text, p_after uuid, p_limit integer)
 RETURNS TABLE(id uuid, customer_id text, encryption_key_id text)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    (SELECT r.id, r.customer_id, r.encryption_key_id FROM public.registry_credentials r
      WHERE p_table = 'registry_credentials' AND r.encryption_key_id <> p_key_id AND (p_after IS NULL OR r.id > p_after)
      ORDER BY r.id LIMIT p_limit)
    UNION ALL
    (SELECT l.id, l.customer_id, l.encryption_key_id FROM public.licenses l
      WHERE p_table = 'licenses' AND l.encryption_key_id <> p_key_id AND (p_after IS NULL OR l.id > p_after)
      ORDER BY l.id LIMIT p_limit)
    ORDER BY 1;
$function$;
COMMENT ON FUNCTION public.encrypted_rows_not_under_key(text,text,uuid,integer) IS 'Ids (after p_after, in id order, at most p_limit) of rows of licenses / registry_credentials encrypted under a key id other than p_key_id: the work list of a key rotation. Reveals no secret.';

CREATE OR REPLACE FUNCTION public.encryption_key_usage()
 RETURNS TABLE(table_name text, encryption_key_id text, row_count bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT 'licenses', l.encryption_key_id, count(*) FROM public.licenses l GROUP BY l.encryption_key_id
    UNION ALL
    SELECT 'registry_credentials', r.encryption_key_id, count(*) FROM public.registry_credentials r GROUP BY r.encryption_key_id
    ORDER BY 1, 2;
$function$;
COMMENT ON FUNCTION public.encryption_key_usage() IS 'How many encrypted rows each key id protects, per table.';

CREATE OR REPLACE FUNCTION public.expire_licenses()
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    UPDATE public.licenses
       SET status = 'expired'
     WHERE status IN ('active', 'trial')
       AND ((expires_at IS NOT NULL AND expires_at < now()) OR (is_trial AND trial_ends_at < now()));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.expire_licenses() IS 'Marks active or trial licenses past their expiry (or trial end) as expired.';

CREATE OR REPLACE FUNCTION public.feature_flags_valid(p_flags jsonb)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT jsonb_typeof(p_flags) = 'object'
       AND (SELECT count(*) FROM jsonb_object_keys(p_flags)) <= 200
       AND NOT EXISTS (SELECT 1 FROM jsonb_each(p_flags) e
                        WHERE jsonb_typeof(e.value) <> 'boolean' OR e.key !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$');
$function$;
COMMENT ON FUNCTION public.feature_flags_valid(jsonb) IS 'Feature flags are a JSON object of at most 200 boolean values keyed by names of 1..100 characters [A-Za-z0-9_.:-].';

CREATE OR REPLACE FUNCTION public.get_license_quota_usage(p_customer_id text)
 RETURNS TABLE(customer_id text, tier text, max_builds_per_month integer, builds_this_month bigint, max_concurrent_builds integer, concurrent_builds bigint, max_registries integer, registries_used bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    WITH valid AS (
        SELECT l.* FROM public.licenses l
         WHERE l.customer_id = p_customer_id AND public.license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
    )
    SELECT p_customer_id,
           (SELECT v.tier FROM valid v ORDER BY v.issued_at DESC, v.id DESC LIMIT 1),
           max(v.max_builds_per_month),
           coalesce((SELECT u.builds_enqueued FROM public.license_build_usage u
                      WHERE u.customer_id = p_customer_id AND u.period_start = public.current_quota_month()),
                    (SELECT count(*) FROM public.build_queue q
                      WHERE q.customer_id = p_customer_id
                        AND q.queued_at >= (public.current_quota_month()::timestamp AT TIME ZONE 'UTC'))),
           max(v.max_concurrent_builds),
           (SELECT count(*) FROM public.build_queue q WHERE q.customer_id = p_customer_id AND q.status = 'building'),
           max(v.max_registries),
           (SELECT count(*) FROM public.registry_credentials r WHERE r.customer_id = p_customer_id AND r.is_active)
      FROM valid v
    HAVING count(*) > 0;
$function$;
COMMENT ON FUNCTION public.get_license_quota_usage(text) IS 'Quota limits of the customer''s valid licenses (largest of each) beside current usage; builds counted per UTC calendar month as the enqueue quota counts them. No row when the customer has no valid license.';

CREATE OR REPLACE FUNCTION public.invalid_registry_credentials()
 RETURNS TABLE(id uuid, customer_id text, registry_name text, validation_status text, validation_error text, last_validated_at timestamp with time zone)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT r.id, r.customer_id, r.registry_name, r.validation_status, r.validation_error, r.last_validated_at
      FROM public.registry_credentials r
     WHERE r.is_active AND r.validation_status = 'invalid'
     ORDER BY r.last_validated_at NULLS FIRST, r.id;
$function$;
COMMENT ON FUNCTION public.invalid_registry_credentials() IS 'Active credentials whose last validation failed, all customers, longest-failing first (the seed''s health check).';

CREATE OR REPLACE FUNCTION public.license_feature_flags(p_license_id uuid)
 RETURNS TABLE(flag text, value_type text, enabled boolean)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT e.key, jsonb_typeof(e.value), CASE WHEN jsonb_typeof(e.value) = 'boolean' THEN e.value::boolean END
      FROM public.licenses l CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(l.feature_flags) = 'object'
                                                         THEN l.feature_flags ELSE '{}'::jsonb END) e
     WHERE l.id = p_license_id
     ORDER BY e.key;
$function$;
COMMENT ON FUNCTION public.license_feature_flags(uuid) IS 'The feature flags of a license, one row per flag with its JSON type (the DAO rejects non-boolean values).';

CREATE OR REPLACE FUNCTION public.license_is_valid(p_status text, p_is_trial boolean, p_trial_ends_at timestamp with time zone, p_expires_at timestamp with time zone)
 RETURNS boolean
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT p_status IN ('active', 'trial')
       AND (p_expires_at IS NULL OR p_expires_at > now())
       AND (NOT coalesce(p_is_trial, FALSE) OR p_trial_ends_at > now());
$function$;
COMMENT ON FUNCTION public.license_is_valid(text,boolean,timestamp with time zone,timestamp with time zone) IS 'A license is valid while active or trial, before its expiry and (for trials) before its trial end.';

CREATE OR REPLACE FUNCTION public.licenses_expiring_within(p_seconds bigint)
 RETURNS TABLE(id uuid, customer_id text, tier text, status text, is_trial boolean, ends_at timestamp with time zone)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT l.id, l.customer_id, l.tier, l.status, l.is_trial, x.ends_at
      FROM public.licenses l
     CROSS JOIN LATERAL (SELECT CASE WHEN l.is_trial THEN least(l.trial_ends_at, l.expires_at) ELSE l.expires_at END AS ends_at) x
     WHERE public.license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
       AND x.ends_at <= now() + make_interval(secs => p_seconds)
     ORDER BY x.ends_at, l.id;
$function$;
COMMENT ON FUNCTION public.licenses_expiring_within(bigint) IS 'Valid licenses whose expiry (or trial end) falls within p_seconds from now, soonest first; all customers.';

CREATE OR REPLACE FUNCTION public.newest_license_state(p_customer_id text)
 RETURNS text
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT CASE l.status WHEN 'revoked' THEN 'REVOKED' WHEN 'suspended' THEN 'SUSPENDED' ELSE 'EXPIRED' END
      FROM public.licenses l WHERE l.customer_id = p_customer_id
     ORDER BY l.issued_at DESC, l.id DESC LIMIT 1;
$function$;
COMMENT ON FUNCTION public.newest_license_state(text) IS 'REVOKED, SUSPENDED or EXPIRED: the state of the customer''s newest license (of those the caller sees), as verify_license reports it; the DETAIL (license_status:<state>) of the quota triggers'' HL003 when all the customer''s licenses are invalid. NULL without a license.';
-- called by the quota triggers: build_queue_license_quota with the owner's rights, registry_credentials_license_quota
-- with the rights of the role that activates a credential
REVOKE EXECUTE ON FUNCTION public.newest_license_state(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.newest_license_state(text) TO honua_app, honua_worker;

CREATE OR REPLACE FUNCTION public.registry_credentials_license_quota()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_licensed BOOLEAN;
    v_max      INTEGER;
    v_used     BIGINT;
BEGIN
    IF NOT NEW.is_active OR (TG_OP = 'UPDATE' AND OLD.is_active AND OLD.customer_id = NEW.customer_id) THEN
        RETURN NEW;
    END IF;
    -- Runs with the caller's rights: a row for a tenant the caller cannot see finds no license and no credential
    -- here (so the error cannot tell anything about that tenant) and is then refused by row-level security.
    -- Activations of one customer are serialised on the customer's row (FOR NO KEY UPDATE: foreign-key checks and
    -- readers are not blocked), which only roles that may see that customer can lock; the count below then sees
    -- every committed activation.
    PERFORM 1 FROM public.customers c WHERE c.customer_id = NEW.customer_id FOR NO KEY UPDATE;
    SELECT count(*) > 0,
           max(l.max_registries) FILTER (WHERE public.license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at))
      INTO v_licensed, v_max
      FROM public.licenses l WHERE l.customer_id = NEW.customer_id;
    IF NOT v_licensed THEN
        RETURN NEW;
    END IF;
    IF v_max IS NULL THEN
        -- DETAIL names the state of the newest license (REVOKED, SUSPENDED or EXPIRED), as verify_license reports it
        RAISE EXCEPTION 'customer % has no valid license (expired, revoked or suspended)', NEW.customer_id
            USING ERRCODE = 'HL003', DETAIL = 'license_status:' || public.newest_license_state(NEW.customer_id);
    END IF;
    SELECT count(*) INTO v_used FROM public.registry_credentials r
     WHERE r.customer_id = NEW.customer_id AND r.is_active AND r.id <> NEW.id;
    IF v_used >= v_max THEN
        RAISE EXCEPTION 'customer % exceeded its quota of % registries', NEW.customer_id, v_max
            USING ERRCODE = 'HL002', DETAIL = format('registries:%s:%s', v_max, v_used);
    END IF;
    RETURN NEW;
END $function$;
COMMENT ON FUNCTION public.registry_credentials_license_quota() IS 'Trigger: refuses (SQLSTATE HL002) an active credential beyond max_registries of the customer''s valid licenses; (HL003, DETAIL license_status:<state of the newest license>) when the customer''s licenses are all invalid. Exact under concurrency (the customer row is locked). Caller''s rights: reveals nothing about tenants the caller cannot see.';

CREATE OR REPLACE FUNCTION public.revoke_expired_credentials()
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    UPDATE public.registry_credentials
       SET is_active = FALSE, revoked_at = now(),
           validation_status = CASE WHEN expires_at IS NOT NULL AND expires_at < now() THEN 'expired' ELSE validation_status END
     WHERE is_active
       AND ((validation_status = 'invalid' AND last_validated_at < now() - interval '7 days')
            OR (expires_at IS NOT NULL AND expires_at < now()));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.revoke_expired_credentials() IS 'Revokes credentials invalid for 7+ days or past their expiry.';

CREATE OR REPLACE FUNCTION public.verify_api_key(p_key_hash text)
 RETURNS TABLE(id uuid, customer_id text, name text, key_prefix text, scopes text[], created_at timestamp with time zone, last_used_at timestamp with time zone, expires_at timestamp with time zone, revoked_at timestamp with time zone, valid boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    -- a valid key records its use; an invalid one is only reported
    RETURN QUERY
    WITH used AS (
        UPDATE public.api_keys k SET last_used_at = now()
         WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
        RETURNING k.id, k.customer_id, k.name, k.key_prefix, k.scopes, k.created_at, k.last_used_at, k.expires_at,
                  k.revoked_at
    )
    SELECT u.id, u.customer_id, u.name, u.key_prefix, u.scopes, u.created_at, u.last_used_at, u.expires_at,
           u.revoked_at, TRUE FROM used u;
    IF NOT FOUND THEN
        RETURN QUERY
        SELECT k.id, k.customer_id, k.name, k.key_prefix, k.scopes, k.created_at, k.last_used_at, k.expires_at,
               k.revoked_at, FALSE
          FROM public.api_keys k WHERE k.key_hash = p_key_hash;
    END IF;
END $function$;
COMMENT ON FUNCTION public.verify_api_key(text) IS 'The API key whose SHA-256 hash is p_key_hash; when valid (not revoked, not expired) its last_used_at is set to now() in the same statement. No row when unknown.';

CREATE OR REPLACE FUNCTION public.verify_license_key(p_key_hash text)
 RETURNS TABLE(id uuid, customer_id text, status text, valid boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT l.id, l.customer_id, l.status, public.license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
      FROM public.licenses l WHERE l.license_key_hash = p_key_hash;
$function$;
COMMENT ON FUNCTION public.verify_license_key(text) IS 'The license whose key hashes (SHA-256, hex) to p_key_hash, with its validity; no row when unknown. Reveals no secret.';

-- ---------------------------------------------------------------------------------------------------------------------
-- The administrative path (issue 12): licenses and API keys change only through these SECURITY DEFINER functions
-- (honua_admin holds no direct write on licenses or api_keys since V18). Conventions, SQLSTATEs and the audit actor:
-- see honua_admin_enter() in R__audit_tenancy.sql. The key material arrives already hashed and envelope-encrypted by
-- the Java side; no function sees a key in clear.
-- ---------------------------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION public.admin_issue_license(p_customer_id text, p_tier text, p_license_key_hash text, p_license_key_encrypted bytea, p_encryption_key_id text, p_feature_flags jsonb, p_max_builds_per_month integer, p_max_registries integer, p_max_concurrent_builds integer, p_trial_ends_at timestamp with time zone, p_expires_at timestamp with time zone)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := public.honua_admin_enter(p_customer_id);
    v_id   UUID;
BEGIN
    IF p_tier IS NULL OR p_tier NOT IN ('free', 'standard', 'professional', 'enterprise') THEN
        RAISE EXCEPTION 'unknown license tier %', p_tier USING ERRCODE = '22023';
    END IF;
    IF p_license_key_hash IS NULL OR p_license_key_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'license key hash must be 64 lower-case hex digits (SHA-256)' USING ERRCODE = '22023';
    END IF;
    IF p_license_key_encrypted IS NULL OR length(p_license_key_encrypted) = 0 THEN
        RAISE EXCEPTION 'the encrypted license key is required' USING ERRCODE = '22023';
    END IF;
    IF p_encryption_key_id IS NULL OR length(p_encryption_key_id) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'encryption key id must be 1..200 characters' USING ERRCODE = '22023';
    END IF;
    IF p_feature_flags IS NULL OR jsonb_typeof(p_feature_flags) <> 'object' OR NOT public.feature_flags_valid(p_feature_flags) THEN
        RAISE EXCEPTION 'feature flags must be a JSON object of at most 200 boolean values named [A-Za-z0-9_.:-]{1,100}'
            USING ERRCODE = 'HA005';
    END IF;
    IF coalesce(p_max_builds_per_month, 0) < 1 OR coalesce(p_max_registries, 0) < 1 OR coalesce(p_max_concurrent_builds, 0) < 1 THEN
        RAISE EXCEPTION 'limits must be at least 1, got builds/month %, registries %, concurrent builds %',
            p_max_builds_per_month, p_max_registries, p_max_concurrent_builds USING ERRCODE = '22023';
    END IF;
    IF p_trial_ends_at IS NOT NULL AND p_trial_ends_at <= now() THEN
        RAISE EXCEPTION 'a trial must end in the future, got %', p_trial_ends_at USING ERRCODE = '22023';
    END IF;
    IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
        RAISE EXCEPTION 'the expiry must be in the future, got %', p_expires_at USING ERRCODE = '22023';
    END IF;
    IF p_trial_ends_at IS NOT NULL AND p_expires_at IS NOT NULL AND p_trial_ends_at > p_expires_at THEN
        RAISE EXCEPTION 'a trial cannot end after the license expires' USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.customers c WHERE c.customer_id = p_customer_id) THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HA001';
    END IF;
    INSERT INTO public.licenses (customer_id, tier, status, license_key_hash, license_key_encrypted, encryption_key_id,
                                 feature_flags, max_builds_per_month, max_registries, max_concurrent_builds, is_trial,
                                 trial_ends_at, expires_at)
    VALUES (p_customer_id, p_tier, CASE WHEN p_trial_ends_at IS NULL THEN 'active' ELSE 'trial' END, p_license_key_hash,
            p_license_key_encrypted, p_encryption_key_id, p_feature_flags, p_max_builds_per_month, p_max_registries,
            p_max_concurrent_builds, p_trial_ends_at IS NOT NULL, p_trial_ends_at, p_expires_at)
    RETURNING id INTO v_id;
    PERFORM public.honua_admin_leave(v_prev);
    RETURN v_id;
END $function$;
COMMENT ON FUNCTION public.admin_issue_license(text,text,text,bytea,text,jsonb,integer,integer,integer,timestamp with time zone,timestamp with time zone) IS 'Administrative (honua_admin): issues a license (ACTIVE, TRIAL when p_trial_ends_at is given) from key material hashed and encrypted by the caller; returns its id. HA001 unknown customer, HA005 bad flags, 22023 bad limits or dates. Audited (licenses.insert, secrets excluded).';
REVOKE EXECUTE ON FUNCTION public.admin_issue_license(text,text,text,bytea,text,jsonb,integer,integer,integer,timestamp with time zone,timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_issue_license(text,text,text,bytea,text,jsonb,integer,integer,integer,timestamp with time zone,timestamp with time zone) TO honua_admin;

CREATE OR REPLACE FUNCTION public.admin_set_license_status(p_customer_id text, p_license_id uuid, p_status text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := public.honua_admin_enter(p_customer_id);
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('suspended', 'revoked') THEN
        RAISE EXCEPTION 'a license can be set to suspended or revoked, not %', p_status USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.licenses l WHERE l.id = p_license_id AND l.customer_id = p_customer_id) THEN
        RAISE EXCEPTION 'customer % has no license %', p_customer_id, p_license_id USING ERRCODE = 'HA002';
    END IF;
    -- revoked is final; setting the status a license already has changes (and audits) nothing
    UPDATE public.licenses l SET status = p_status
     WHERE l.id = p_license_id AND l.customer_id = p_customer_id AND l.status <> 'revoked' AND l.status <> p_status;
    PERFORM public.honua_admin_leave(v_prev);
END $function$;
COMMENT ON FUNCTION public.admin_set_license_status(text,uuid,text) IS 'Administrative (honua_admin): suspends or revokes a license (revoked is final; idempotent). HA002 unknown license of this customer. Audited (licenses.update).';
REVOKE EXECUTE ON FUNCTION public.admin_set_license_status(text,uuid,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_set_license_status(text,uuid,text) TO honua_admin;

CREATE OR REPLACE FUNCTION public.admin_reinstate_license(p_customer_id text, p_license_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev   TEXT := public.honua_admin_enter(p_customer_id);
    v_status TEXT;
BEGIN
    SELECT l.status INTO v_status FROM public.licenses l
     WHERE l.id = p_license_id AND l.customer_id = p_customer_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no license %', p_customer_id, p_license_id USING ERRCODE = 'HA002';
    END IF;
    IF v_status <> 'suspended' THEN
        RAISE EXCEPTION 'license % is %, not SUSPENDED', p_license_id, upper(v_status) USING ERRCODE = 'HA004';
    END IF;
    UPDATE public.licenses l SET status = CASE WHEN l.is_trial THEN 'trial' ELSE 'active' END
     WHERE l.id = p_license_id;
    PERFORM public.honua_admin_leave(v_prev);
END $function$;
COMMENT ON FUNCTION public.admin_reinstate_license(text,uuid) IS 'Administrative (honua_admin): makes a suspended license ACTIVE (TRIAL for a trial) again. HA002 unknown license of this customer, HA004 not suspended. Audited (licenses.update).';
REVOKE EXECUTE ON FUNCTION public.admin_reinstate_license(text,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_reinstate_license(text,uuid) TO honua_admin;

CREATE OR REPLACE FUNCTION public.admin_set_license_feature_flags(p_customer_id text, p_license_id uuid, p_feature_flags jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := public.honua_admin_enter(p_customer_id);
BEGIN
    IF p_feature_flags IS NULL OR jsonb_typeof(p_feature_flags) <> 'object' OR NOT public.feature_flags_valid(p_feature_flags) THEN
        RAISE EXCEPTION 'feature flags must be a JSON object of at most 200 boolean values named [A-Za-z0-9_.:-]{1,100}'
            USING ERRCODE = 'HA005';
    END IF;
    UPDATE public.licenses l SET feature_flags = p_feature_flags
     WHERE l.id = p_license_id AND l.customer_id = p_customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no license %', p_customer_id, p_license_id USING ERRCODE = 'HA002';
    END IF;
    PERFORM public.honua_admin_leave(v_prev);
END $function$;
COMMENT ON FUNCTION public.admin_set_license_feature_flags(text,uuid,jsonb) IS 'Administrative (honua_admin): replaces a license''s feature flags. HA005 malformed flags, HA002 unknown license of this customer. Audited (licenses.update).';
REVOKE EXECUTE ON FUNCTION public.admin_set_license_feature_flags(text,uuid,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_set_license_feature_flags(text,uuid,jsonb) TO honua_admin;

CREATE OR REPLACE FUNCTION public.admin_rekey_license(p_customer_id text, p_license_id uuid, p_old_encryption_key_id text, p_old_license_key_encrypted bytea, p_encryption_key_id text, p_license_key_encrypted bytea)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := public.honua_admin_enter(p_customer_id);
    v_done BOOLEAN;
BEGIN
    IF p_encryption_key_id IS NULL OR length(p_encryption_key_id) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'encryption key id must be 1..200 characters' USING ERRCODE = '22023';
    END IF;
    IF p_license_key_encrypted IS NULL OR length(p_license_key_encrypted) = 0 THEN
        RAISE EXCEPTION 'the encrypted license key is required' USING ERRCODE = '22023';
    END IF;
    -- compare and set: only the copy the caller decrypted is replaced (a concurrent rotation wins, nothing is lost)
    UPDATE public.licenses l SET license_key_encrypted = p_license_key_encrypted, encryption_key_id = p_encryption_key_id
     WHERE l.id = p_license_id AND l.customer_id = p_customer_id
       AND l.encryption_key_id = p_old_encryption_key_id AND l.license_key_encrypted = p_old_license_key_encrypted;
    v_done := FOUND;
    PERFORM public.honua_admin_leave(v_prev);
    RETURN v_done;
END $function$;
COMMENT ON FUNCTION public.admin_rekey_license(text,uuid,text,bytea,text,bytea) IS 'Administrative (honua_admin, key rotation): replaces the stored encrypted copy of a license key, when it is still the one the caller decrypted (false otherwise: changed meanwhile). Audited (licenses.update, secret columns named only).';
REVOKE EXECUTE ON FUNCTION public.admin_rekey_license(text,uuid,text,bytea,text,bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_rekey_license(text,uuid,text,bytea,text,bytea) TO honua_admin;

CREATE OR REPLACE FUNCTION public.admin_create_api_key(p_customer_id text, p_name text, p_key_prefix text, p_key_hash text, p_scopes text[], p_expires_at timestamp with time zone)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := public.honua_admin_enter(p_customer_id);
    v_id   UUID;
BEGIN
    IF p_name IS NULL OR length(p_name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'name must be 1..200 characters' USING ERRCODE = '22023';
    END IF;
    IF p_key_prefix IS NULL OR p_key_prefix !~ '^hk_[a-z2-7]{8}$' THEN
        RAISE EXCEPTION 'key prefix must be hk_ and 8 base32 characters' USING ERRCODE = '22023';
    END IF;
    IF p_key_hash IS NULL OR p_key_hash !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'key hash must be 64 lower-case hex digits (SHA-256)' USING ERRCODE = '22023';
    END IF;
    IF p_scopes IS NULL OR NOT public.api_key_scopes_valid(p_scopes) THEN
        RAISE EXCEPTION 'scopes: at most 50, each 1..64 characters [a-z0-9_.:*-] starting with a letter' USING ERRCODE = '22023';
    END IF;
    IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
        RAISE EXCEPTION 'the expiry must be in the future, got %', p_expires_at USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.customers c WHERE c.customer_id = p_customer_id) THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HA001';
    END IF;
    INSERT INTO public.api_keys (customer_id, name, key_prefix, key_hash, scopes, expires_at)
    VALUES (p_customer_id, p_name, p_key_prefix, p_key_hash,
            ARRAY(SELECT DISTINCT s FROM unnest(p_scopes) s ORDER BY s), p_expires_at)
    RETURNING id INTO v_id;
    PERFORM public.honua_admin_leave(v_prev);
    RETURN v_id;
END $function$;
COMMENT ON FUNCTION public.admin_create_api_key(text,text,text,text,text[],timestamp with time zone) IS 'Administrative (honua_admin): creates an API key with its scopes (fixed for the key''s life: to change them, revoke it and create another) from the caller''s SHA-256 of the key; returns its id. HA001 unknown customer, 23505 an unrevoked key with this name exists. Audited (api_keys.insert, hash excluded).';
REVOKE EXECUTE ON FUNCTION public.admin_create_api_key(text,text,text,text,text[],timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.admin_create_api_key(text,text,text,text,text[],timestamp with time zone) TO honua_admin;

CREATE OR REPLACE FUNCTION public.revoke_api_key(p_customer_id text, p_api_key_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_prev TEXT := public.honua_admin_enter(p_customer_id);
BEGIN
    -- the transaction's tenant only (as row-level security would allow the application): an id of another tenant is
    -- reported exactly like an id of nobody
    IF NOT EXISTS (SELECT 1 FROM public.api_keys k WHERE k.id = p_api_key_id AND k.customer_id = p_customer_id) THEN
        RAISE EXCEPTION 'customer % has no API key %', p_customer_id, p_api_key_id USING ERRCODE = 'HA003';
    END IF;
    UPDATE public.api_keys k SET revoked_at = now()
     WHERE k.id = p_api_key_id AND k.customer_id = p_customer_id AND k.revoked_at IS NULL;
    PERFORM public.honua_admin_leave(v_prev);
END $function$;
COMMENT ON FUNCTION public.revoke_api_key(text,uuid) IS 'Revokes an API key of the transaction''s tenant (revoked_at = now(); idempotent, the first time is kept, never undone). For the tenant itself (honua_app) and honua_admin; nobody writes api_keys directly, so a revoked key cannot be revived. HA003 unknown key of this customer. Audited (api_keys.update).';
REVOKE EXECUTE ON FUNCTION public.revoke_api_key(text,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.revoke_api_key(text,uuid) TO honua_app, honua_admin;
