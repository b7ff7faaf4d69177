-- =====================================================================================================================
-- V11: licensing, credential encryption support, API keys (issue 6, part B)
--   * feature flags: values must be booleans (new rows; legacy rows are rejected by the typed read instead)
--   * quota enforcement in the database:
--       - builds per month: statement trigger on build_queue, exact under concurrency (per-customer counter row)
--       - registries: row trigger on registry_credentials (per-customer advisory lock, then count)
--     A customer with no license row at all is not capped (as the concurrency cap of V6). A customer whose licenses
--     are all expired / revoked / suspended cannot enqueue or store credentials.
--   * api_keys: service / worker keys, stored as SHA-256 hash only
--   * SECURITY DEFINER look-ups that must work before the tenant is known (verify a presented key by hash) and the
--     key-rotation listing, so they keep working once row-level security is attached to these tables.
-- Custom SQLSTATEs raised here (class HL, "Honua licensing"):
--   HL001 builds-per-month quota exceeded, HL002 registries quota exceeded, HL003 customer has no valid license.
-- Months are calendar months in UTC.
-- =====================================================================================================================

-- ---------------------------------------------------------------------------------------------------------------------
-- License validity, one definition used everywhere.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION license_is_valid(p_status TEXT, p_is_trial BOOLEAN, p_trial_ends_at TIMESTAMPTZ, p_expires_at TIMESTAMPTZ)
    RETURNS BOOLEAN
    LANGUAGE sql STABLE AS $$
    SELECT p_status IN ('active', 'trial')
       AND (p_expires_at IS NULL OR p_expires_at > now())
       AND (NOT coalesce(p_is_trial, FALSE) OR p_trial_ends_at > now());
$$;
COMMENT ON FUNCTION license_is_valid(TEXT, BOOLEAN, TIMESTAMPTZ, TIMESTAMPTZ) IS
    'A license is valid while active or trial, before its expiry and (for trials) before its trial end.';

CREATE FUNCTION current_quota_month() RETURNS DATE
    LANGUAGE sql STABLE AS $$
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date;
$$;
COMMENT ON FUNCTION current_quota_month() IS 'First day of the current calendar month in UTC: the builds-per-month period.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Feature flags: an object of booleans with sane keys.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION feature_flags_valid(p_flags JSONB) RETURNS BOOLEAN
    LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(p_flags) = 'object'
       AND (SELECT count(*) FROM jsonb_object_keys(p_flags)) <= 200
       AND NOT EXISTS (SELECT 1 FROM jsonb_each(p_flags) e
                        WHERE jsonb_typeof(e.value) <> 'boolean' OR e.key !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$');
$$;
COMMENT ON FUNCTION feature_flags_valid(JSONB) IS
    'Feature flags are a JSON object of at most 200 boolean values keyed by names of 1..100 characters [A-Za-z0-9_.:-].';

-- NOT VALID: enforced for every new or changed row; rows written before V11 are not re-checked (the DAO rejects them
-- on read with a typed exception).
ALTER TABLE licenses ADD CONSTRAINT chk_licenses_feature_flags_boolean CHECK (feature_flags_valid(feature_flags)) NOT VALID;

-- ---------------------------------------------------------------------------------------------------------------------
-- Builds-per-month quota.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE license_build_usage (
    -- CASCADE: usage counters mean nothing without their customer.
    customer_id     TEXT    NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    period_start    DATE    NOT NULL,
    builds_enqueued BIGINT  NOT NULL DEFAULT 0 CONSTRAINT chk_license_build_usage_builds CHECK (builds_enqueued >= 0),
    PRIMARY KEY (customer_id, period_start)
);
COMMENT ON TABLE license_build_usage IS
    'Builds enqueued per licensed customer per UTC calendar month; maintained by trg_build_queue_license_quota. The row '
    'lock taken by each enqueue serialises concurrent enqueues of one customer, so the quota is exact.';

CREATE FUNCTION build_queue_license_quota() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
          FROM licenses l WHERE l.customer_id = r.customer_id;
        IF NOT v_licensed THEN
            CONTINUE;   -- no license at all: not capped
        END IF;
        IF v_max IS NULL THEN
            RAISE EXCEPTION 'customer % has no valid license (expired, revoked or suspended)', r.customer_id
                USING ERRCODE = 'HL003';
        END IF;
        UPDATE license_build_usage u SET builds_enqueued = u.builds_enqueued + r.n
         WHERE u.customer_id = r.customer_id AND u.period_start = v_month
        RETURNING u.builds_enqueued INTO v_used;
        IF NOT FOUND THEN
            -- first enqueue of the month (or first since licensed): start from what is already there, this batch included
            INSERT INTO license_build_usage AS u (customer_id, period_start, builds_enqueued)
            SELECT r.customer_id, v_month, count(*)
              FROM build_queue q
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
END $$;
COMMENT ON FUNCTION build_queue_license_quota() IS
    'Trigger: refuses (SQLSTATE HL001) an enqueue that takes a licensed customer beyond max_builds_per_month of its '
    'valid licenses, and (HL003) any enqueue of a customer whose licenses are all invalid. Idempotently skipped rows '
    'are not counted (they are not in the transition table).';
CREATE TRIGGER trg_build_queue_license_quota AFTER INSERT ON build_queue
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION build_queue_license_quota();

-- ---------------------------------------------------------------------------------------------------------------------
-- Registries quota.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION registry_credentials_license_quota() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_licensed BOOLEAN;
    v_max      INTEGER;
    v_used     BIGINT;
BEGIN
    IF NOT NEW.is_active OR (TG_OP = 'UPDATE' AND OLD.is_active AND OLD.customer_id = NEW.customer_id) THEN
        RETURN NEW;
    END IF;
    -- serialise activations per customer: the count below then sees every committed activation
    PERFORM pg_advisory_xact_lock(hashtext('honua.registry_quota'), hashtext(NEW.customer_id));
    SELECT count(*) > 0,
           max(l.max_registries) FILTER (WHERE license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at))
      INTO v_licensed, v_max
      FROM licenses l WHERE l.customer_id = NEW.customer_id;
    IF NOT v_licensed THEN
        RETURN NEW;
    END IF;
    IF v_max IS NULL THEN
        RAISE EXCEPTION 'customer % has no valid license (expired, revoked or suspended)', NEW.customer_id
            USING ERRCODE = 'HL003';
    END IF;
    SELECT count(*) INTO v_used FROM registry_credentials r
     WHERE r.customer_id = NEW.customer_id AND r.is_active AND r.id <> NEW.id;
    IF v_used >= v_max THEN
        RAISE EXCEPTION 'customer % exceeded its quota of % registries', NEW.customer_id, v_max
            USING ERRCODE = 'HL002', DETAIL = format('registries:%s:%s', v_max, v_used);
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION registry_credentials_license_quota() IS
    'Trigger: refuses (SQLSTATE HL002) an active credential beyond max_registries of the customer''s valid licenses; '
    '(HL003) when the customer''s licenses are all invalid. Exact under concurrency (per-customer advisory lock).';
CREATE TRIGGER trg_registry_credentials_license_quota BEFORE INSERT OR UPDATE OF is_active, customer_id ON registry_credentials
    FOR EACH ROW EXECUTE FUNCTION registry_credentials_license_quota();

-- ---------------------------------------------------------------------------------------------------------------------
-- Quota usage: limits of the valid licenses (the largest, as the claim path uses) beside current usage.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION get_license_quota_usage(p_customer_id TEXT)
    RETURNS TABLE (customer_id TEXT, tier TEXT, max_builds_per_month INTEGER, builds_this_month BIGINT,
                   max_concurrent_builds INTEGER, concurrent_builds BIGINT, max_registries INTEGER, registries_used BIGINT)
    LANGUAGE sql STABLE AS $$
    WITH valid AS (
        SELECT l.* FROM licenses l
         WHERE l.customer_id = p_customer_id AND license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
    )
    SELECT p_customer_id,
           (SELECT v.tier FROM valid v ORDER BY v.issued_at DESC, v.id DESC LIMIT 1),
           max(v.max_builds_per_month),
           coalesce((SELECT u.builds_enqueued FROM license_build_usage u
                      WHERE u.customer_id = p_customer_id AND u.period_start = current_quota_month()),
                    (SELECT count(*) FROM build_queue q
                      WHERE q.customer_id = p_customer_id
                        AND q.queued_at >= (current_quota_month()::timestamp AT TIME ZONE 'UTC'))),
           max(v.max_concurrent_builds),
           (SELECT count(*) FROM build_queue q WHERE q.customer_id = p_customer_id AND q.status = 'building'),
           max(v.max_registries),
           (SELECT count(*) FROM registry_credentials r WHERE r.customer_id = p_customer_id AND r.is_active)
      FROM valid v
    HAVING count(*) > 0;
$$;
COMMENT ON FUNCTION get_license_quota_usage(TEXT) IS
    'Quota limits of the customer''s valid licenses (largest of each) beside current usage; builds counted per UTC '
    'calendar month as the enqueue quota counts them. No row when the customer has no valid license.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Licenses: verify a presented key by its hash (before the tenant is known).
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION verify_license_key(p_key_hash TEXT)
    RETURNS TABLE (id UUID, customer_id TEXT, status TEXT, valid BOOLEAN)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT l.id, l.customer_id, l.status, license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
      FROM licenses l WHERE l.license_key_hash = p_key_hash;
$$;
COMMENT ON FUNCTION verify_license_key(TEXT) IS
    'The license whose key hashes (SHA-256, hex) to p_key_hash, with its validity; no row when unknown. Reveals no secret.';

-- ---------------------------------------------------------------------------------------------------------------------
-- API keys for workers and services (seed 004): the key is shown once; only its SHA-256 hash is stored.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION api_key_scopes_valid(p_scopes TEXT[]) RETURNS BOOLEAN
    LANGUAGE sql IMMUTABLE AS $$
    SELECT cardinality(p_scopes) <= 50
       AND NOT EXISTS (SELECT 1 FROM unnest(p_scopes) s WHERE s IS NULL OR s !~ '^[a-z][a-z0-9_.:*-]{0,63}$');
$$;
COMMENT ON FUNCTION api_key_scopes_valid(TEXT[]) IS 'At most 50 scopes, each 1..64 characters [a-z0-9_.:*-] starting with a letter.';

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- CASCADE: a key authenticates as its customer and means nothing without it.
    customer_id  TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    name         TEXT NOT NULL CONSTRAINT chk_api_keys_name CHECK (length(name) BETWEEN 1 AND 200),
    key_prefix   TEXT NOT NULL CONSTRAINT chk_api_keys_prefix CHECK (key_prefix ~ '^hk_[a-z2-7]{8}$'),
    key_hash     TEXT NOT NULL CONSTRAINT uq_api_keys_hash UNIQUE
                 CONSTRAINT chk_api_keys_hash CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    scopes       TEXT[] NOT NULL DEFAULT '{}' CONSTRAINT chk_api_keys_scopes CHECK (api_key_scopes_valid(scopes)),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    CONSTRAINT chk_api_keys_expiry CHECK (expires_at IS NULL OR expires_at > created_at)
);
COMMENT ON TABLE api_keys IS
    'Service-to-service keys. Only the SHA-256 hash of the key is stored; key_prefix (not secret) identifies it in lists.';
CREATE UNIQUE INDEX uq_api_keys_active_name ON api_keys (customer_id, name) WHERE revoked_at IS NULL;
COMMENT ON INDEX uq_api_keys_active_name IS 'One unrevoked key per customer and name.';
CREATE INDEX idx_api_keys_customer ON api_keys (customer_id, created_at);
COMMENT ON INDEX idx_api_keys_customer IS 'A customer''s keys in creation order; serves the ON DELETE CASCADE.';
CREATE TRIGGER trg_api_keys_updated_at BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE FUNCTION verify_api_key(p_key_hash TEXT)
    RETURNS TABLE (id UUID, customer_id TEXT, name TEXT, key_prefix TEXT, scopes TEXT[], created_at TIMESTAMPTZ,
                   last_used_at TIMESTAMPTZ, expires_at TIMESTAMPTZ, revoked_at TIMESTAMPTZ, valid BOOLEAN)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- a valid key records its use; an invalid one is only reported
    RETURN QUERY
    WITH used AS (
        UPDATE api_keys k SET last_used_at = now()
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
          FROM api_keys k WHERE k.key_hash = p_key_hash;
    END IF;
END $$;
COMMENT ON FUNCTION verify_api_key(TEXT) IS
    'The API key whose SHA-256 hash is p_key_hash; when valid (not revoked, not expired) its last_used_at is set to '
    'now() in the same statement. No row when unknown.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Key rotation support: which encrypted rows are not yet under a key id, and which key ids are referenced at all.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION encrypted_rows_not_under_key(p_table TEXT, p_key_id TEXT, p_after UUID, p_limit INTEGER)
    RETURNS TABLE (id UUID, customer_id TEXT, encryption_key_id TEXT)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    (SELECT r.id, r.customer_id, r.encryption_key_id FROM registry_credentials r
      WHERE p_table = 'registry_credentials' AND r.encryption_key_id <> p_key_id AND (p_after IS NULL OR r.id > p_after)
      ORDER BY r.id LIMIT p_limit)
    UNION ALL
    (SELECT l.id, l.customer_id, l.encryption_key_id FROM licenses l
      WHERE p_table = 'licenses' AND l.encryption_key_id <> p_key_id AND (p_after IS NULL OR l.id > p_after)
      ORDER BY l.id LIMIT p_limit)
    ORDER BY 1;
$$;
COMMENT ON FUNCTION encrypted_rows_not_under_key(TEXT, TEXT, UUID, INTEGER) IS
    'Ids (after p_after, in id order, at most p_limit) of rows of licenses / registry_credentials encrypted under a key '
    'id other than p_key_id: the work list of a key rotation. Reveals no secret.';

CREATE FUNCTION encryption_key_usage()
    RETURNS TABLE (table_name TEXT, encryption_key_id TEXT, row_count BIGINT)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT 'licenses', l.encryption_key_id, count(*) FROM licenses l GROUP BY l.encryption_key_id
    UNION ALL
    SELECT 'registry_credentials', r.encryption_key_id, count(*) FROM registry_credentials r GROUP BY r.encryption_key_id
    ORDER BY 1, 2;
$$;
COMMENT ON FUNCTION encryption_key_usage() IS 'How many encrypted rows each key id protects, per table.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Typed reads and cross-tenant health checks (no secrets in any of them).
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION license_feature_flags(p_license_id UUID)
    RETURNS TABLE (flag TEXT, value_type TEXT, enabled BOOLEAN)
    LANGUAGE sql STABLE AS $$
    SELECT e.key, jsonb_typeof(e.value), CASE WHEN jsonb_typeof(e.value) = 'boolean' THEN e.value::boolean END
      FROM licenses l CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(l.feature_flags) = 'object'
                                                         THEN l.feature_flags ELSE '{}'::jsonb END) e
     WHERE l.id = p_license_id
     ORDER BY e.key;
$$;
COMMENT ON FUNCTION license_feature_flags(UUID) IS
    'The feature flags of a license, one row per flag with its JSON type (the DAO rejects non-boolean values).';

CREATE FUNCTION licenses_expiring_within(p_seconds BIGINT)
    RETURNS TABLE (id UUID, customer_id TEXT, tier TEXT, status TEXT, is_trial BOOLEAN, ends_at TIMESTAMPTZ)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT l.id, l.customer_id, l.tier, l.status, l.is_trial, x.ends_at
      FROM licenses l
     CROSS JOIN LATERAL (SELECT CASE WHEN l.is_trial THEN least(l.trial_ends_at, l.expires_at) ELSE l.expires_at END AS ends_at) x
     WHERE license_is_valid(l.status, l.is_trial, l.trial_ends_at, l.expires_at)
       AND x.ends_at <= now() + make_interval(secs => p_seconds)
     ORDER BY x.ends_at, l.id;
$$;
COMMENT ON FUNCTION licenses_expiring_within(BIGINT) IS
    'Valid licenses whose expiry (or trial end) falls within p_seconds from now, soonest first; all customers.';

CREATE FUNCTION invalid_registry_credentials()
    RETURNS TABLE (id UUID, customer_id TEXT, registry_name TEXT, validation_status TEXT, validation_error TEXT,
                   last_validated_at TIMESTAMPTZ)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT r.id, r.customer_id, r.registry_name, r.validation_status, r.validation_error, r.last_validated_at
      FROM registry_credentials r
     WHERE r.is_active AND r.validation_status = 'invalid'
     ORDER BY r.last_validated_at NULLS FIRST, r.id;
$$;
COMMENT ON FUNCTION invalid_registry_credentials() IS
    'Active credentials whose last validation failed, all customers, longest-failing first (the seed''s health check).';

-- ---------------------------------------------------------------------------------------------------------------------
-- Row-level security and audit for the new tenant-owned tables, when the tenancy migration (V10) that provides the
-- helpers is present; without it (a branch built alone) this block does nothing.
--   * api_keys: tenant-owned, audited on create / revoke / change (not on use: last_used_at); key_hash never enters
--     the audit details (the audit helper's secret-column filter)
--   * license_build_usage: tenant-owned, NOT audited (a counter touched by every enqueue); written only by the
--     SECURITY DEFINER quota trigger
-- ---------------------------------------------------------------------------------------------------------------------
DO $$
BEGIN
    IF to_regprocedure('honua_enable_tenant_rls(regclass,text)') IS NOT NULL THEN
        PERFORM honua_enable_tenant_rls('api_keys', 'customer_id');
        PERFORM honua_enable_tenant_rls('license_build_usage', 'customer_id');
    END IF;
    -- as honua_audit_table() would attach it, but not for last_used_at: verify() must not append an audit event per use
    IF to_regprocedure('honua_audit_row()') IS NOT NULL THEN
        CREATE TRIGGER trg_api_keys_audit
            AFTER INSERT OR DELETE OR UPDATE OF customer_id, name, key_prefix, key_hash, scopes, expires_at, revoked_at
            ON api_keys FOR EACH ROW EXECUTE FUNCTION honua_audit_row('customer_id');
    END IF;
END $$;
