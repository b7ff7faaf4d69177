-- The build cache: tier rule, lookup, register, access recording and hit statistics.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.cache_lookup(p_customer_id text, p_manifest_hash text, p_tier text)
 RETURNS SETOF build_cache_registry
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_rank INTEGER := public.customer_cache_tier_rank(p_customer_id);
BEGIN
    IF v_rank IS NULL THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HN404';
    END IF;
    IF public.cache_tier_rank(p_tier) IS NULL THEN
        RAISE EXCEPTION 'unknown tier %', p_tier USING ERRCODE = '22023';
    END IF;
    IF public.cache_tier_rank(p_tier) > v_rank THEN
        RETURN;
    END IF;
    IF pg_catalog.has_column_privilege('public.build_cache_registry', 'created_by_customer_id', 'SELECT') THEN
        RETURN QUERY
            SELECT * FROM public.build_cache_registry e
             WHERE e.manifest_hash = p_manifest_hash AND e.tier = p_tier
               AND (e.expires_at IS NULL OR e.expires_at > now());
    ELSE
        -- the application role: row-level security applies the tier rule of its tenant, and who registered an
        -- entry is not its business (the column is not granted to it)
        RETURN QUERY
            SELECT e.id, e.manifest_hash, e.tier, e.image_reference, e.image_digest, e.image_size_bytes, e.layer_count,
                   e.build_duration_seconds, NULL::text, e.hit_count, e.last_hit_at, e.expires_at, e.created_at,
                   e.updated_at
              FROM public.build_cache_registry e
             WHERE e.manifest_hash = p_manifest_hash AND e.tier = p_tier
               AND (e.expires_at IS NULL OR e.expires_at > now());
    END IF;
END $function$;
COMMENT ON FUNCTION public.cache_lookup(text,text,text) IS 'The cache entry (manifest hash, tier) when the customer''s license tier may use it and it has not expired; else no row. Unknown customer: SQLSTATE HN404.';

CREATE OR REPLACE FUNCTION public.cache_lookup_and_record(p_customer_id text, p_manifest_hash text, p_tier text)
 RETURNS SETOF build_cache_registry
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_entry build_cache_registry;
BEGIN
    SELECT * INTO v_entry FROM public.cache_lookup(p_customer_id, p_manifest_hash, p_tier);
    INSERT INTO public.build_access_log (cache_entry_id, customer_id, manifest_hash, tier, access_type)
    VALUES (v_entry.id, p_customer_id, p_manifest_hash, p_tier, CASE WHEN v_entry.id IS NULL THEN 'miss' ELSE 'hit' END);
    IF v_entry.id IS NOT NULL THEN
        -- the statement trigger has counted the hit: return the entry as it is now
        RETURN QUERY SELECT * FROM public.cache_lookup(p_customer_id, p_manifest_hash, p_tier) c WHERE c.id = v_entry.id;
    END IF;
END $function$;
COMMENT ON FUNCTION public.cache_lookup_and_record(text,text,text) IS 'cache_lookup plus one build_access_log row (hit when an entry was returned, else miss), atomically.';

CREATE OR REPLACE FUNCTION public.cache_register(p_customer_id text, p_manifest_hash text, p_tier text, p_image_reference text, p_image_digest text, p_image_size_bytes bigint, p_layer_count integer, p_build_duration_seconds integer, p_expires_at timestamp with time zone)
 RETURNS SETOF build_cache_registry
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_rank INTEGER := public.customer_cache_tier_rank(p_customer_id);
BEGIN
    IF v_rank IS NULL THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HN404';
    END IF;
    IF public.cache_tier_rank(p_tier) IS NULL THEN
        RAISE EXCEPTION 'unknown tier %', p_tier USING ERRCODE = '22023';
    END IF;
    IF public.cache_tier_rank(p_tier) > v_rank THEN
        RAISE EXCEPTION 'customer % may not register %-tier cache entries', p_customer_id, p_tier USING ERRCODE = 'HN403';
    END IF;
    RETURN QUERY
        INSERT INTO public.build_cache_registry AS e (manifest_hash, tier, image_reference, image_digest, image_size_bytes,
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
END $function$;
COMMENT ON FUNCTION public.cache_register(text,text,text,text,text,bigint,integer,integer,timestamp with time zone) IS 'Upserts the cache entry (manifest hash, tier): one row per pair, also under concurrent callers; a second register replaces the image details and keeps creator and hit statistics. Customer must exist (HN404) and its license tier must allow the entry''s tier (HN403).';

CREATE OR REPLACE FUNCTION public.cache_tier_rank(p_tier text)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT array_position(ARRAY['free', 'standard', 'professional', 'enterprise']::text[], p_tier)
$function$;
COMMENT ON FUNCTION public.cache_tier_rank(text) IS 'Rank of a tier, free=1 < standard=2 < professional=3 < enterprise=4; NULL when unknown.';

CREATE OR REPLACE FUNCTION public.customer_cache_tier_rank(p_customer_id text)
 RETURNS integer
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT coalesce((SELECT max(public.cache_tier_rank(l.tier))
                       FROM public.licenses l
                      WHERE l.customer_id = c.customer_id
                        AND l.status IN ('active', 'trial')
                        AND (l.expires_at IS NULL OR l.expires_at > now())
                        AND (NOT l.is_trial OR l.trial_ends_at > now())), 0)
      FROM public.customers c
     WHERE c.customer_id = p_customer_id AND c.deleted_at IS NULL
$function$;
COMMENT ON FUNCTION public.customer_cache_tier_rank(text) IS 'Highest tier rank among the customer''s valid licenses (active/trial, unexpired); 0 without one; NULL for an unknown or deleted customer.';

CREATE OR REPLACE FUNCTION public.prune_cache_access_batches(p_older_than interval)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_older_than IS NULL OR p_older_than < INTERVAL '1 minute' THEN
        RAISE EXCEPTION 'older_than must be at least 1 minute, got %', p_older_than USING ERRCODE = '22023';
    END IF;
    DELETE FROM public.cache_access_batches WHERE written_at < now() - p_older_than;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.prune_cache_access_batches(interval) IS 'Deletes recorder batch ledger rows older than the interval (a batch is never re-sent after its recorder closed).';

CREATE OR REPLACE FUNCTION public.record_cache_access(p_customer_id text, p_manifest_hash text, p_tier text, p_hit boolean)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_entry UUID;
    v_id    BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.customers WHERE customer_id = p_customer_id AND deleted_at IS NULL) THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'HN404';
    END IF;
    SELECT id INTO v_entry FROM public.build_cache_registry WHERE manifest_hash = p_manifest_hash AND tier = p_tier;
    INSERT INTO public.build_access_log (cache_entry_id, customer_id, manifest_hash, tier, access_type)
    VALUES (v_entry, p_customer_id, p_manifest_hash, p_tier, CASE WHEN p_hit AND v_entry IS NOT NULL THEN 'hit' ELSE 'miss' END)
    RETURNING id INTO v_id;
    RETURN v_id;
END $function$;
COMMENT ON FUNCTION public.record_cache_access(text,text,text,boolean) IS 'Logs one cache lookup (a hit only when the entry exists; unknown customer: HN404); the statement trigger updates the entry''s statistics. Returns the log id.';

CREATE OR REPLACE FUNCTION public.record_cache_accesses(p_batch_id uuid, p_customer_ids text[], p_manifest_hashes text[], p_tiers text[], p_hits boolean[], p_accessed_at_ms bigint[])
 RETURNS integer[]
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
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
    INSERT INTO public.cache_access_batches (batch_id, event_count) VALUES (p_batch_id, v_n) ON CONFLICT (batch_id) DO NOTHING;
    IF NOT FOUND THEN
        -- written before (its commit acknowledgement was lost): nothing to do
        SELECT rejected INTO v_rejected FROM public.cache_access_batches WHERE batch_id = p_batch_id;
        RETURN v_rejected;
    END IF;
    SELECT coalesce(array_agg(u.ord::integer ORDER BY u.ord), '{}')
      INTO v_rejected
      FROM unnest(p_customer_ids) WITH ORDINALITY AS u(customer_id, ord)
     WHERE NOT EXISTS (SELECT 1 FROM public.customers c WHERE c.customer_id = u.customer_id AND c.deleted_at IS NULL);
    INSERT INTO public.build_access_log (cache_entry_id, customer_id, manifest_hash, tier, access_type, accessed_at)
    SELECT e.id, u.customer_id, u.manifest_hash, u.tier,
           CASE WHEN u.hit AND e.id IS NOT NULL THEN 'hit' ELSE 'miss' END,
           to_timestamp(u.accessed_at_ms / 1000.0)
      FROM unnest(p_customer_ids, p_manifest_hashes, p_tiers, p_hits, p_accessed_at_ms) WITH ORDINALITY
           AS u(customer_id, manifest_hash, tier, hit, accessed_at_ms, ord)
      LEFT JOIN public.build_cache_registry e ON e.manifest_hash = u.manifest_hash AND e.tier = u.tier
     WHERE u.ord <> ALL (v_rejected);
    IF cardinality(v_rejected) > 0 THEN
        UPDATE public.cache_access_batches SET rejected = v_rejected WHERE batch_id = p_batch_id;
    END IF;
    RETURN v_rejected;
END $function$;
COMMENT ON FUNCTION public.record_cache_accesses(uuid,text[],text[],text[],boolean[],bigint[]) IS 'Writes a batch of cache accesses with one INSERT into build_access_log (hit only when the entry exists) and returns the 1-based positions not written because their customer is unknown. Idempotent per batch id.';

CREATE OR REPLACE FUNCTION public.update_cache_stats()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    -- lock in id order: two concurrent batches touching the same entries wait, never deadlock
    PERFORM 1
       FROM public.build_cache_registry r
      WHERE r.id IN (SELECT n.cache_entry_id FROM new_rows n WHERE n.access_type = 'hit' AND n.cache_entry_id IS NOT NULL)
      ORDER BY r.id
        FOR NO KEY UPDATE;
    UPDATE public.build_cache_registry r
       SET hit_count = r.hit_count + a.hits,
           last_hit_at = greatest(coalesce(r.last_hit_at, a.last_at), a.last_at)
      FROM (SELECT n.cache_entry_id, count(*) AS hits, max(n.accessed_at) AS last_at
              FROM new_rows n
             WHERE n.access_type = 'hit' AND n.cache_entry_id IS NOT NULL
             GROUP BY n.cache_entry_id) a
     WHERE r.id = a.cache_entry_id;
    RETURN NULL;
END $function$;
COMMENT ON FUNCTION public.update_cache_stats() IS 'Statement trigger: the hits logged by one INSERT add to each entry''s hit_count and advance last_hit_at (one UPDATE per entry).';
