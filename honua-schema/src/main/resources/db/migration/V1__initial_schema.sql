-- =====================================================================================================================
-- V1: core tables (seed 001_InitialSchema.sql): customers, licenses, registry_credentials, build_cache_registry,
-- build_access_log. Needs only the pgcrypto and uuid-ossp extensions.
-- =====================================================================================================================

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- Time-sortable UUID (version 7, RFC 9562): 48-bit Unix milliseconds, then random bits. Index-friendly primary keys.
CREATE FUNCTION uuid_generate_v7() RETURNS uuid
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_bytes BYTEA := gen_random_bytes(16);
    v_ms    BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
    v_bytes := overlay(v_bytes PLACING substring(int8send(v_ms) FROM 3) FROM 1 FOR 6);
    v_bytes := set_byte(v_bytes, 6, (get_byte(v_bytes, 6) & 15) | 112);   -- version 7
    v_bytes := set_byte(v_bytes, 8, (get_byte(v_bytes, 8) & 63) | 128);   -- variant 10
    RETURN encode(v_bytes, 'hex')::uuid;
END $$;
COMMENT ON FUNCTION uuid_generate_v7() IS 'Time-sortable UUID v7 (works on PostgreSQL 15+, before uuidv7() existed).';

-- Keeps updated_at current on every UPDATE; attached to every table that has the column (V5).
CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE customers (
    customer_id         TEXT PRIMARY KEY
                        CONSTRAINT chk_customers_id CHECK (customer_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    name                TEXT NOT NULL CONSTRAINT chk_customers_name CHECK (length(name) BETWEEN 1 AND 200),
    email               TEXT CONSTRAINT chk_customers_email CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320),
    subscription_status TEXT NOT NULL DEFAULT 'trial'
                        CONSTRAINT chk_customers_subscription_status
                        CHECK (subscription_status IN ('trial', 'active', 'past_due', 'suspended', 'cancelled')),
    tier                TEXT NOT NULL DEFAULT 'free'
                        CONSTRAINT chk_customers_tier CHECK (tier IN ('free', 'standard', 'professional', 'enterprise')),
    metadata            JSONB NOT NULL DEFAULT '{}'
                        CONSTRAINT chk_customers_metadata CHECK (jsonb_typeof(metadata) = 'object'),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at          TIMESTAMPTZ
);
COMMENT ON TABLE customers IS 'Customers (tenants). Soft delete: deleted_at set; purge_soft_deleted_records() removes them later.';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE licenses (
    id                    UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- CASCADE: a license belongs to exactly one customer and means nothing without it.
    customer_id           TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    tier                  TEXT NOT NULL
                          CONSTRAINT chk_licenses_tier CHECK (tier IN ('free', 'standard', 'professional', 'enterprise')),
    status                TEXT NOT NULL DEFAULT 'active'
                          CONSTRAINT chk_licenses_status CHECK (status IN ('active', 'trial', 'expired', 'suspended', 'revoked')),
    license_key_hash      TEXT NOT NULL UNIQUE
                          CONSTRAINT chk_licenses_key_hash CHECK (license_key_hash ~ '^[0-9a-f]{64}$'),
    license_key_encrypted BYTEA NOT NULL,
    encryption_key_id     TEXT NOT NULL CONSTRAINT chk_licenses_key_id CHECK (length(encryption_key_id) BETWEEN 1 AND 200),
    feature_flags         JSONB NOT NULL DEFAULT '{}'
                          CONSTRAINT chk_licenses_feature_flags CHECK (jsonb_typeof(feature_flags) = 'object'),
    max_builds_per_month  INTEGER NOT NULL DEFAULT 100 CONSTRAINT chk_licenses_max_builds CHECK (max_builds_per_month > 0),
    max_registries        INTEGER NOT NULL DEFAULT 1 CONSTRAINT chk_licenses_max_registries CHECK (max_registries > 0),
    max_concurrent_builds INTEGER NOT NULL DEFAULT 1 CONSTRAINT chk_licenses_max_concurrent CHECK (max_concurrent_builds > 0),
    is_trial              BOOLEAN NOT NULL DEFAULT FALSE,
    trial_ends_at         TIMESTAMPTZ,
    issued_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at            TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chk_licenses_trial CHECK (NOT is_trial OR trial_ends_at IS NOT NULL),
    CONSTRAINT chk_licenses_expiry CHECK (expires_at IS NULL OR expires_at > issued_at)
);
COMMENT ON TABLE licenses IS
    'Customer licenses. The key is stored only as SHA-256 hash (lookup) and encrypted copy (encryption_key_id names the KMS/vault key).';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE registry_credentials (
    id                UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- CASCADE: credentials are the customer's secrets and must go with the customer.
    customer_id       TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    registry_type     TEXT NOT NULL CONSTRAINT chk_registry_credentials_type
                      CHECK (registry_type IN ('dockerhub', 'ecr', 'gcr', 'acr', 'harbor', 'quay')),
    registry_name     TEXT NOT NULL CONSTRAINT chk_registry_credentials_name CHECK (length(registry_name) BETWEEN 1 AND 200),
    registry_url      TEXT NOT NULL CONSTRAINT chk_registry_credentials_url CHECK (length(registry_url) BETWEEN 1 AND 2000),
    username          TEXT NOT NULL CONSTRAINT chk_registry_credentials_username CHECK (length(username) BETWEEN 1 AND 500),
    encrypted_secret  BYTEA NOT NULL,
    encryption_key_id TEXT NOT NULL CONSTRAINT chk_registry_credentials_key_id CHECK (length(encryption_key_id) BETWEEN 1 AND 200),
    validation_status TEXT NOT NULL DEFAULT 'pending' CONSTRAINT chk_registry_credentials_validation
                      CHECK (validation_status IN ('pending', 'valid', 'invalid', 'expired')),
    validation_error  TEXT,
    last_validated_at TIMESTAMPTZ,
    is_active         BOOLEAN NOT NULL DEFAULT TRUE,
    revoked_at        TIMESTAMPTZ,
    expires_at        TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_registry_credentials_name UNIQUE (customer_id, registry_name),
    CONSTRAINT chk_registry_credentials_revoked CHECK (is_active OR revoked_at IS NOT NULL)
);
COMMENT ON TABLE registry_credentials IS 'Container registry credentials, AES-256 encrypted (envelope); never stored in plaintext.';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_cache_registry (
    id                     UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    manifest_hash          TEXT NOT NULL CONSTRAINT chk_build_cache_manifest_hash CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
    tier                   TEXT NOT NULL
                           CONSTRAINT chk_build_cache_tier CHECK (tier IN ('free', 'standard', 'professional', 'enterprise')),
    image_reference        TEXT NOT NULL CONSTRAINT chk_build_cache_image_reference CHECK (length(image_reference) BETWEEN 1 AND 2000),
    image_digest           TEXT NOT NULL CONSTRAINT chk_build_cache_image_digest CHECK (length(image_digest) BETWEEN 1 AND 200),
    image_size_bytes       BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_build_cache_size CHECK (image_size_bytes >= 0),
    layer_count            INTEGER NOT NULL DEFAULT 0 CONSTRAINT chk_build_cache_layers CHECK (layer_count >= 0),
    build_duration_seconds INTEGER NOT NULL DEFAULT 0 CONSTRAINT chk_build_cache_duration CHECK (build_duration_seconds >= 0),
    -- SET NULL: the cache is shared across customers; an entry outlives the customer whose build produced it.
    created_by_customer_id TEXT REFERENCES customers (customer_id) ON DELETE SET NULL,
    hit_count              BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_build_cache_hits CHECK (hit_count >= 0),
    last_hit_at            TIMESTAMPTZ,
    expires_at             TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_build_cache_manifest_tier UNIQUE (manifest_hash, tier)
);
COMMENT ON TABLE build_cache_registry IS
    'Shared build cache, deduplicated by (manifest_hash, tier). Tier-based access: an entry of tier T is usable by '
    'customers whose tier is T or higher (free < standard < professional < enterprise).';

-- ---------------------------------------------------------------------------------------------------------------------
-- High-volume log, partitioned monthly by accessed_at. Only the DEFAULT partition exists here; the maintenance code
-- creates monthly partitions ahead of time and moves strays out of the default one.
CREATE TABLE build_access_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY,
    cache_entry_id UUID,   -- no FK: a log row stays when its cache entry is evicted
    customer_id    TEXT NOT NULL,
    manifest_hash  TEXT NOT NULL CONSTRAINT chk_build_access_log_hash CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
    tier           TEXT NOT NULL
                   CONSTRAINT chk_build_access_log_tier CHECK (tier IN ('free', 'standard', 'professional', 'enterprise')),
    access_type    TEXT NOT NULL CONSTRAINT chk_build_access_log_type CHECK (access_type IN ('hit', 'miss')),
    accessed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id, accessed_at)
) PARTITION BY RANGE (accessed_at);
COMMENT ON TABLE build_access_log IS 'Every cache lookup (hit or miss). Partitioned monthly by accessed_at.';
CREATE TABLE build_access_log_default PARTITION OF build_access_log DEFAULT;
ALTER TABLE build_access_log_default SET (autovacuum_vacuum_scale_factor = 0.05);
