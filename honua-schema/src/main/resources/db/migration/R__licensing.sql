-- Licenses, quotas, registry credentials, API keys, key-rotation reports.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

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
    v_month    DATE := current_quota_month();
BEGIN
    -- customers in key order: concurrent multi-customer batches lock counter rows in the same order (no deadlock)
    FOR r IN SELECT n.customer_id, count(*) AS n FROM new_rows n GROUP BY n.customer_id ORDER BY n.customer_id LOOP
        SELECT count(*) > 0,
               max(l.max_builds_per_month) FILTER (WHERE license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at))
          INTO v_licensed, v_max
          FROM public.licenses l WHERE l.customer_id = r.customer_id;
        IF NOT v_licensed THEN
            CONTINUE;   -- no license at all: not capped
        END IF;
        IF v_max IS NULL THEN
            RAISE EXCEPTION 'customer % has no valid license (expired, revoked or suspended)', r.customer_id
                USING ERRCODE = 'HL003';
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
COMMENT ON FUNCTION public.build_queue_license_quota() IS 'Trigger: refuses (SQLSTATE HL001) an enqueue that takes a licensed customer beyond max_builds_per_month of its valid licenses, and (HL003) any enqueue of a customer whose licenses are all invalid. Idempotently skipped rows are not counted (they are not in the transition table).';

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
         WHERE l.customer_id = p_customer_id AND license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
    )
    SELECT p_customer_id,
           (SELECT v.tier FROM valid v ORDER BY v.issued_at DESC, v.id DESC LIMIT 1),
           max(v.max_builds_per_month),
           coalesce((SELECT u.builds_enqueued FROM public.license_build_usage u
                      WHERE u.customer_id = p_customer_id AND u.period_start = current_quota_month()),
                    (SELECT count(*) FROM public.build_queue q
                      WHERE q.customer_id = p_customer_id
                        AND q.queued_at >= (current_quota_month()::timestamp AT TIME ZONE 'UTC'))),
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
     WHERE license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
       AND x.ends_at <= now() + make_interval(secs => p_seconds)
     ORDER BY x.ends_at, l.id;
$function$;
COMMENT ON FUNCTION public.licenses_expiring_within(bigint) IS 'Valid licenses whose expiry (or trial end) falls within p_seconds from now, soonest first; all customers.';

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
           max(l.max_registries) FILTER (WHERE license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at))
      INTO v_licensed, v_max
      FROM public.licenses l WHERE l.customer_id = NEW.customer_id;
    IF NOT v_licensed THEN
        RETURN NEW;
    END IF;
    IF v_max IS NULL THEN
        RAISE EXCEPTION 'customer % has no valid license (expired, revoked or suspended)', NEW.customer_id
            USING ERRCODE = 'HL003';
    END IF;
    SELECT count(*) INTO v_used FROM public.registry_credentials r
     WHERE r.customer_id = NEW.customer_id AND r.is_active AND r.id <> NEW.id;
    IF v_used >= v_max THEN
        RAISE EXCEPTION 'customer % exceeded its quota of % registries', NEW.customer_id, v_max
            USING ERRCODE = 'HL002', DETAIL = format('registries:%s:%s', v_max, v_used);
    END IF;
    RETURN NEW;
END $function$;
COMMENT ON FUNCTION public.registry_credentials_license_quota() IS 'Trigger: refuses (SQLSTATE HL002) an active credential beyond max_registries of the customer''s valid licenses; (HL003) when the customer''s licenses are all invalid. Exact under concurrency (the customer row is locked). Caller''s rights: reveals nothing about tenants the caller cannot see.';

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
    SELECT l.id, l.customer_id, l.status, license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
      FROM public.licenses l WHERE l.license_key_hash = p_key_hash;
$function$;
COMMENT ON FUNCTION public.verify_license_key(text) IS 'The license whose key hashes (SHA-256, hex) to p_key_hash, with its validity; no row when unknown. Reveals no secret.';
