-- =====================================================================================================================
-- V7: build cache access (honua-dao package io.honua.db.cache).
--
-- Tier rule (seed: "build_cache_registry ... Tier-based access control"; V1's table comment):
--   tiers are ordered free < standard < professional < enterprise. A cache entry of tier T may be used by a customer
--   whose *license tier* is T or higher. The license tier of a customer is the highest tier among its valid licenses:
--   status 'active' or 'trial', not past expires_at, and (for trials) not past trial_ends_at. A customer that is
--   soft-deleted or has no valid license may use no entry at all. Expired cache entries (expires_at <= now()) are
--   never returned. Registering an entry of tier T needs the same right (a free customer cannot publish into the
--   enterprise cache).
--
-- Access statistics: update_cache_stats() becomes a statement-level trigger over the inserted rows (transition
-- table), so a batch of N log rows costs one aggregated UPDATE per distinct cache entry instead of N row updates. Rows
-- are locked in id order first so concurrent batches cannot deadlock on each other.
--
-- Batched recording: record_cache_accesses(...) writes a whole batch with one INSERT ... SELECT FROM unnest(...) into
-- build_access_log (normal inserts: row and statement triggers on the log see them) and notes the batch id in
-- cache_access_batches in the same transaction, so re-sending a batch whose commit was not acknowledged is a no-op.
-- =====================================================================================================================

-- Position of a tier in free < standard < professional < enterprise (1..4); NULL for anything else.
CREATE FUNCTION cache_tier_rank(p_tier TEXT) RETURNS INTEGER
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_position(ARRAY['free', 'standard', 'professional', 'enterprise']::text[], p_tier)
$$;
COMMENT ON FUNCTION cache_tier_rank(TEXT) IS 'Rank of a tier, free=1 < standard=2 < professional=3 < enterprise=4; NULL when unknown.';

-- Highest license tier rank of a live customer (0: no valid license); NULL when the customer does not exist or is
-- soft-deleted.
CREATE FUNCTION customer_cache_tier_rank(p_customer_id TEXT) RETURNS INTEGER
    LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(cache_tier_rank(l.tier))
                       FROM licenses l
                      WHERE l.customer_id = c.customer_id
                        AND l.status IN ('active', 'trial')
                        AND (l.expires_at IS NULL OR l.expires_at > now())
                        AND (NOT l.is_trial OR l.trial_ends_at > now())), 0)
      FROM customers c
     WHERE c.customer_id = p_customer_id AND c.deleted_at IS NULL
$$;
COMMENT ON FUNCTION customer_cache_tier_rank(TEXT) IS
    'Highest tier rank among the customer''s valid licenses (active/trial, unexpired); 0 without one; NULL for an unknown or deleted customer.';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION cache_lookup(p_customer_id TEXT, p_manifest_hash TEXT, p_tier TEXT)
    RETURNS SETOF build_cache_registry
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_rank INTEGER := customer_cache_tier_rank(p_customer_id);
BEGIN
    IF v_rank IS NULL THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HN404';
    END IF;
    IF cache_tier_rank(p_tier) IS NULL THEN
        RAISE EXCEPTION 'unknown tier %', p_tier USING ERRCODE = '22023';
    END IF;
    IF cache_tier_rank(p_tier) > v_rank THEN
        RETURN;
    END IF;
    RETURN QUERY
        SELECT * FROM build_cache_registry e
         WHERE e.manifest_hash = p_manifest_hash AND e.tier = p_tier
           AND (e.expires_at IS NULL OR e.expires_at > now());
END $$;
COMMENT ON FUNCTION cache_lookup(TEXT, TEXT, TEXT) IS
    'The cache entry (manifest hash, tier) when the customer''s license tier may use it and it has not expired; else no row. '
    'Unknown customer: SQLSTATE HN404.';

CREATE FUNCTION cache_lookup_and_record(p_customer_id TEXT, p_manifest_hash TEXT, p_tier TEXT)
    RETURNS SETOF build_cache_registry
    LANGUAGE plpgsql AS $$
DECLARE
    v_entry build_cache_registry;
BEGIN
    SELECT * INTO v_entry FROM cache_lookup(p_customer_id, p_manifest_hash, p_tier);
    INSERT INTO build_access_log (cache_entry_id, customer_id, manifest_hash, tier, access_type)
    VALUES (v_entry.id, p_customer_id, p_manifest_hash, p_tier, CASE WHEN v_entry.id IS NULL THEN 'miss' ELSE 'hit' END);
    IF v_entry.id IS NOT NULL THEN
        -- the statement trigger has counted the hit: return the entry as it is now
        RETURN QUERY SELECT * FROM build_cache_registry WHERE id = v_entry.id;
    END IF;
END $$;
COMMENT ON FUNCTION cache_lookup_and_record(TEXT, TEXT, TEXT) IS
    'cache_lookup plus one build_access_log row (hit when an entry was returned, else miss), atomically.';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION cache_register(p_customer_id TEXT, p_manifest_hash TEXT, p_tier TEXT, p_image_reference TEXT,
                               p_image_digest TEXT, p_image_size_bytes BIGINT, p_layer_count INTEGER,
                               p_build_duration_seconds INTEGER, p_expires_at TIMESTAMPTZ)
    RETURNS SETOF build_cache_registry
    LANGUAGE plpgsql AS $$
DECLARE
    v_rank INTEGER := customer_cache_tier_rank(p_customer_id);
BEGIN
    IF v_rank IS NULL THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HN404';
    END IF;
    IF cache_tier_rank(p_tier) IS NULL THEN
        RAISE EXCEPTION 'unknown tier %', p_tier USING ERRCODE = '22023';
    END IF;
    IF cache_tier_rank(p_tier) > v_rank THEN
        RAISE EXCEPTION 'customer % may not register %-tier cache entries', p_customer_id, p_tier USING ERRCODE = 'HN403';
    END IF;
    RETURN QUERY
        INSERT INTO build_cache_registry AS e (manifest_hash, tier, image_reference, image_digest, image_size_bytes,
                                               layer_count, build_duration_seconds, created_by_customer_id, expires_at)
        VALUES (p_manifest_hash, p_tier, p_image_reference, p_image_digest, p_image_size_bytes, p_layer_count,
                p_build_duration_seconds, p_customer_id, p_expires_at)
        ON CONFLICT ON CONSTRAINT uq_build_cache_manifest_tier DO UPDATE
           SET image_reference = excluded.image_reference,
               image_digest = excluded.image_digest,
               image_size_bytes = excluded.image_size_bytes,
               layer_count = excluded.layer_count,
               build_duration_seconds = excluded.build_duration_seconds,
               expires_at = excluded.expires_at
        RETURNING e.*;
END $$;
COMMENT ON FUNCTION cache_register(TEXT, TEXT, TEXT, TEXT, TEXT, BIGINT, INTEGER, INTEGER, TIMESTAMPTZ) IS
    'Upserts the cache entry (manifest hash, tier): one row per pair, also under concurrent callers; a second register '
    'replaces the image details and keeps creator and hit statistics. Customer must exist (HN404) and its license tier '
    'must allow the entry''s tier (HN403).';

-- ---------------------------------------------------------------------------------------------------------------------
-- The seed's record_cache_access, now refusing an unknown customer (HN404) instead of logging it.
CREATE OR REPLACE FUNCTION record_cache_access(p_customer_id TEXT, p_manifest_hash TEXT, p_tier TEXT, p_hit BOOLEAN)
    RETURNS BIGINT
    LANGUAGE plpgsql AS $$
DECLARE
    v_entry UUID;
    v_id    BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM customers WHERE customer_id = p_customer_id AND deleted_at IS NULL) THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HN404';
    END IF;
    SELECT id INTO v_entry FROM build_cache_registry WHERE manifest_hash = p_manifest_hash AND tier = p_tier;
    INSERT INTO build_access_log (cache_entry_id, customer_id, manifest_hash, tier, access_type)
    VALUES (v_entry, p_customer_id, p_manifest_hash, p_tier, CASE WHEN p_hit AND v_entry IS NOT NULL THEN 'hit' ELSE 'miss' END)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
COMMENT ON FUNCTION record_cache_access(TEXT, TEXT, TEXT, BOOLEAN) IS
    'Logs one cache lookup (a hit only when the entry exists; unknown customer: HN404); the statement trigger updates '
    'the entry''s statistics. Returns the log id.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Statement-level statistics: one aggregated update per cache entry per INSERT statement.
DROP TRIGGER trg_build_access_log_cache_stats ON build_access_log;

CREATE OR REPLACE FUNCTION update_cache_stats() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    -- lock in id order: two concurrent batches touching the same entries wait, never deadlock
    PERFORM 1
       FROM build_cache_registry r
      WHERE r.id IN (SELECT n.cache_entry_id FROM new_rows n WHERE n.access_type = 'hit' AND n.cache_entry_id IS NOT NULL)
      ORDER BY r.id
        FOR NO KEY UPDATE;
    UPDATE build_cache_registry r
       SET hit_count = r.hit_count + a.hits,
           last_hit_at = greatest(coalesce(r.last_hit_at, a.last_at), a.last_at)
      FROM (SELECT n.cache_entry_id, count(*) AS hits, max(n.accessed_at) AS last_at
              FROM new_rows n
             WHERE n.access_type = 'hit' AND n.cache_entry_id IS NOT NULL
             GROUP BY n.cache_entry_id) a
     WHERE r.id = a.cache_entry_id;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION update_cache_stats() IS
    'Statement trigger: the hits logged by one INSERT add to each entry''s hit_count and advance last_hit_at (one UPDATE per entry).';

CREATE TRIGGER trg_build_access_log_cache_stats AFTER INSERT ON build_access_log
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION update_cache_stats();

-- ---------------------------------------------------------------------------------------------------------------------
-- Ledger of written recorder batches: makes a re-sent batch a no-op (exactly-once across lost commit acknowledgements).
CREATE TABLE cache_access_batches (
    batch_id    UUID PRIMARY KEY,
    event_count INTEGER NOT NULL CONSTRAINT chk_cache_access_batches_count CHECK (event_count >= 0),
    rejected    INTEGER[] NOT NULL DEFAULT '{}',
    written_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE cache_access_batches IS
    'One row per batch written by record_cache_accesses (batch id, size, 1-based positions rejected for an unknown '
    'customer). Prune with prune_cache_access_batches().';
CREATE INDEX idx_cache_access_batches_written ON cache_access_batches (written_at);

CREATE FUNCTION record_cache_accesses(p_batch_id UUID, p_customer_ids TEXT[], p_manifest_hashes TEXT[], p_tiers TEXT[],
                                      p_hits BOOLEAN[], p_accessed_at_ms BIGINT[])
    RETURNS INTEGER[]
    LANGUAGE plpgsql AS $$
DECLARE
    v_n        INTEGER := coalesce(cardinality(p_customer_ids), 0);
    v_rejected INTEGER[];
BEGIN
    IF p_batch_id IS NULL THEN
        RAISE EXCEPTION 'batch id must not be null' USING ERRCODE = '22023';
    END IF;
    IF coalesce(cardinality(p_manifest_hashes), 0) <> v_n OR coalesce(cardinality(p_tiers), 0) <> v_n
       OR coalesce(cardinality(p_hits), 0) <> v_n OR coalesce(cardinality(p_accessed_at_ms), 0) <> v_n THEN
        RAISE EXCEPTION 'batch arrays differ in length' USING ERRCODE = '22023';
    END IF;
    INSERT INTO cache_access_batches (batch_id, event_count) VALUES (p_batch_id, v_n) ON CONFLICT (batch_id) DO NOTHING;
    IF NOT FOUND THEN
        -- written before (its commit acknowledgement was lost): nothing to do
        SELECT rejected INTO v_rejected FROM cache_access_batches WHERE batch_id = p_batch_id;
        RETURN v_rejected;
    END IF;
    SELECT coalesce(array_agg(u.ord::integer ORDER BY u.ord), '{}')
      INTO v_rejected
      FROM unnest(p_customer_ids) WITH ORDINALITY AS u(customer_id, ord)
     WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = u.customer_id AND c.deleted_at IS NULL);
    INSERT INTO build_access_log (cache_entry_id, customer_id, manifest_hash, tier, access_type, accessed_at)
    SELECT e.id, u.customer_id, u.manifest_hash, u.tier,
           CASE WHEN u.hit AND e.id IS NOT NULL THEN 'hit' ELSE 'miss' END,
           to_timestamp(u.accessed_at_ms / 1000.0)
      FROM unnest(p_customer_ids, p_manifest_hashes, p_tiers, p_hits, p_accessed_at_ms) WITH ORDINALITY
           AS u(customer_id, manifest_hash, tier, hit, accessed_at_ms, ord)
      LEFT JOIN build_cache_registry e ON e.manifest_hash = u.manifest_hash AND e.tier = u.tier
     WHERE u.ord <> ALL (v_rejected);
    IF cardinality(v_rejected) > 0 THEN
        UPDATE cache_access_batches SET rejected = v_rejected WHERE batch_id = p_batch_id;
    END IF;
    RETURN v_rejected;
END $$;
COMMENT ON FUNCTION record_cache_accesses(UUID, TEXT[], TEXT[], TEXT[], BOOLEAN[], BIGINT[]) IS
    'Writes a batch of cache accesses with one INSERT into build_access_log (hit only when the entry exists) and '
    'returns the 1-based positions not written because their customer is unknown. Idempotent per batch id.';

CREATE FUNCTION prune_cache_access_batches(p_older_than INTERVAL) RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_older_than IS NULL OR p_older_than < INTERVAL '1 minute' THEN
        RAISE EXCEPTION 'older_than must be at least 1 minute, got %', p_older_than USING ERRCODE = '22023';
    END IF;
    DELETE FROM cache_access_batches WHERE written_at < now() - p_older_than;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
COMMENT ON FUNCTION prune_cache_access_batches(INTERVAL) IS
    'Deletes recorder batch ledger rows older than the interval (a batch is never re-sent after its recorder closed).';
