-- AI intake: conversations, messages, manifests.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.build_manifests_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_conversation_customer TEXT;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.published_at IS NOT NULL THEN
        IF NEW.manifest IS DISTINCT FROM OLD.manifest
           OR NEW.manifest_digest IS DISTINCT FROM OLD.manifest_digest
           OR NEW.name IS DISTINCT FROM OLD.name
           OR NEW.version IS DISTINCT FROM OLD.version
           OR NEW.customer_id IS DISTINCT FROM OLD.customer_id
           OR NEW.validation_status IS DISTINCT FROM OLD.validation_status
           OR NEW.validation_errors IS DISTINCT FROM OLD.validation_errors
           OR NEW.published_at IS DISTINCT FROM OLD.published_at THEN
            RAISE EXCEPTION 'manifest % (% version %) is published and immutable: create a new version',
                OLD.id, OLD.name, OLD.version USING ERRCODE = 'HI004';
        END IF;
    ELSE
        NEW.manifest_digest := public.manifest_digest(NEW.manifest);
        IF TG_OP = 'UPDATE' AND NEW.manifest IS DISTINCT FROM OLD.manifest THEN
            -- a draft's content changed: its earlier validation no longer applies
            NEW.validation_status := 'pending';
            NEW.validation_errors := '[]';
        END IF;
        IF NEW.published_at IS NOT NULL AND NEW.validation_status <> 'valid' THEN
            RAISE EXCEPTION 'manifest % is % and cannot be published: only a valid manifest can',
                NEW.id, NEW.validation_status USING ERRCODE = 'HI005';
        END IF;
    END IF;
    IF NEW.deployment_status <> 'not_deployed' AND NEW.published_at IS NULL THEN
        RAISE EXCEPTION 'manifest % is not published and cannot be deployed', NEW.id USING ERRCODE = 'HI006';
    END IF;
    IF NEW.deployment_status = 'deployed' AND (TG_OP = 'INSERT' OR OLD.deployment_status <> 'deployed') THEN
        NEW.deployed_at := now();
    END IF;
    IF NEW.conversation_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.conversation_id IS DISTINCT FROM OLD.conversation_id) THEN
        SELECT customer_id INTO v_conversation_customer FROM public.conversations WHERE id = NEW.conversation_id;
        IF FOUND AND v_conversation_customer <> NEW.customer_id THEN
            RAISE EXCEPTION 'conversation % belongs to another customer than manifest %', NEW.conversation_id, NEW.id
                USING ERRCODE = 'HI009';
        END IF;
    END IF;
    RETURN NEW;
END $function$;
COMMENT ON FUNCTION public.build_manifests_guard() IS 'Trigger: computes manifest_digest; a published manifest''s content, identity, validation and publication are immutable (HI004); publishing needs a valid manifest (HI005); deploying needs a published one (HI006).';

CREATE OR REPLACE FUNCTION public.conversation_messages_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_status TEXT;
BEGIN
    -- Lock the conversation row first: a concurrent close/expire waits for this append (and re-checks its WHERE
    -- after it), and an append after a committed close sees the new status.
    SELECT status INTO v_status FROM public.conversations WHERE id = NEW.conversation_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no conversation %', NEW.conversation_id USING ERRCODE = 'HI002';
    END IF;
    IF v_status <> 'active' THEN
        RAISE EXCEPTION 'conversation % is % and takes no messages', NEW.conversation_id, v_status USING ERRCODE = 'HI003';
    END IF;
    IF NEW.role = 'function' AND NEW.function_name IS NULL THEN
        RAISE EXCEPTION 'a function message needs function_name' USING ERRCODE = '22023';
    END IF;
    IF NEW.function_call IS NOT NULL AND jsonb_typeof(NEW.function_call) NOT IN ('object', 'array') THEN
        RAISE EXCEPTION 'function_call must be a JSON object or array, got %', jsonb_typeof(NEW.function_call)
            USING ERRCODE = '22023';
    END IF;
    RETURN NEW;
END $function$;
COMMENT ON FUNCTION public.conversation_messages_guard() IS 'Trigger: refuses messages to unknown (HI002) or non-active (HI003) conversations; locks the conversation row so concurrent appends are serialized and a close cannot interleave.';

CREATE OR REPLACE FUNCTION public.conversations_status_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    IF OLD.status <> 'active' THEN
        RAISE EXCEPTION 'conversation % is % and cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'HI001';
    END IF;
    IF NEW.status <> 'active' AND NEW.ended_at IS NULL THEN
        NEW.ended_at := now();
    END IF;
    RETURN NEW;
END $function$;
COMMENT ON FUNCTION public.conversations_status_guard() IS 'Trigger: allows only active -> completed | abandoned | error (SQLSTATE HI001 otherwise) and stamps ended_at.';

CREATE OR REPLACE FUNCTION public.create_manifest_version(p_from uuid, p_manifest jsonb, p_conversation_id uuid DEFAULT NULL::uuid)
 RETURNS SETOF build_manifests
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_src    build_manifests;
    v_latest build_manifests;
BEGIN
    IF p_manifest IS NULL OR jsonb_typeof(p_manifest) <> 'object' THEN
        RAISE EXCEPTION 'a manifest must be a JSON object' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_src FROM public.build_manifests WHERE id = p_from;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no manifest %', p_from USING ERRCODE = 'HI007';
    END IF;
    -- one version at a time per (customer, name); the next statement sees the versions committed before the lock
    -- (on the first version's row, which every version of the family shares and only roles that may see this
    -- tenant can lock: no advisory key another role could hold)
    PERFORM 1 FROM public.build_manifests m
      WHERE m.customer_id = v_src.customer_id AND m.name = v_src.name
      ORDER BY m.version LIMIT 1 FOR NO KEY UPDATE;
    SELECT * INTO v_latest FROM public.build_manifests
     WHERE customer_id = v_src.customer_id AND name = v_src.name ORDER BY version DESC LIMIT 1;
    IF v_latest.manifest_digest = public.manifest_digest(p_manifest) THEN
        RAISE EXCEPTION 'content is identical to version % of manifest %', v_latest.version, v_src.name
            USING ERRCODE = 'HI008';
    END IF;
    RETURN QUERY
        INSERT INTO public.build_manifests (customer_id, conversation_id, name, version, manifest, manifest_digest)
        VALUES (v_src.customer_id, coalesce(p_conversation_id, v_src.conversation_id), v_src.name, v_latest.version + 1,
                p_manifest, public.manifest_digest(p_manifest))
        RETURNING *;
END $function$;
COMMENT ON FUNCTION public.create_manifest_version(uuid,jsonb,uuid) IS 'New version (latest + 1) of the manifest family of p_from with new content: pending validation, unpublished, new digest. Concurrent calls get consecutive versions. Identical content to the latest version is refused (HI008).';

CREATE OR REPLACE FUNCTION public.expire_old_conversations(p_inactive_hours integer DEFAULT 24)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_inactive_hours IS NULL OR p_inactive_hours < 0 THEN
        RAISE EXCEPTION 'inactive hours must be >= 0, got %', p_inactive_hours USING ERRCODE = '22023';
    END IF;
    UPDATE public.conversations
       SET status = 'abandoned', ended_at = now()
     WHERE status = 'active' AND last_activity_at < now() - make_interval(hours => p_inactive_hours);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $function$;
COMMENT ON FUNCTION public.expire_old_conversations(integer) IS 'Marks active conversations inactive for p_inactive_hours (default 24) as abandoned.';

CREATE OR REPLACE FUNCTION public.manifest_digest(p_manifest jsonb)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT encode(sha256(convert_to(p_manifest::text, 'UTF8')), 'hex')
$function$;
COMMENT ON FUNCTION public.manifest_digest(jsonb) IS 'SHA-256 (hex) of the canonical manifest text: PostgreSQL''s jsonb rendering (keys sorted, duplicates removed, whitespace normalized), so equal content has an equal digest however the JSON was written.';

CREATE OR REPLACE FUNCTION public.update_conversation_stats()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    -- one UPDATE with increments: row-locks the conversation, so concurrent messages are all counted
    UPDATE public.conversations
       SET message_count     = message_count + 1,
           prompt_tokens     = prompt_tokens + NEW.prompt_tokens,
           completion_tokens = completion_tokens + NEW.completion_tokens,
           total_tokens      = total_tokens + NEW.tokens,
           total_cost_usd    = total_cost_usd + NEW.cost_usd,
           last_activity_at  = greatest(last_activity_at, NEW.created_at)
     WHERE id = NEW.conversation_id;
    RETURN NULL;
END $function$;
COMMENT ON FUNCTION public.update_conversation_stats() IS 'Trigger: keeps message count, token and cost totals of a conversation exact.';
