-- =====================================================================================================================
-- V9: what the AI intake system needs beyond the seed schema
--   * conversation status lifecycle enforced: active -> completed | abandoned | error, terminal states are final
--   * a conversation that is not active takes no messages; appends to one conversation are serialized on its row,
--     so update_conversation_stats() stays exact and no message slips in after a close
--   * build manifests: digest = SHA-256 of the canonical content (the jsonb text form), computed by the database;
--     immutable once published (deployment tracking and the conversation link stay updatable); publishing needs
--     validation_status 'valid'; deploying needs a published manifest; new versions via create_manifest_version()
--   * intent_analytics counted each conversation once per manifest it produced (join fan-out); fixed here
-- conversation_messages keeps its partitioning untouched (only a trigger is added, which partitions inherit).
-- Custom SQLSTATEs raised here (class HI, "Honua intake"):
--   HI001 conversation status transition not allowed      HI002 unknown conversation
--   HI003 message to a conversation that is not active     HI004 published manifest is immutable
--   HI005 manifest is not valid (publish / build)          HI006 deployment of an unpublished manifest
--   HI007 unknown manifest                                 HI008 new version identical to the latest version
--   HI009 manifest and conversation belong to different customers
-- =====================================================================================================================

-- ---------------------------------------------------------------------------------------------------------------------
-- Conversations: status lifecycle.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION conversations_status_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'active' THEN
        RAISE EXCEPTION 'conversation % is % and cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'HI001';
    END IF;
    IF NEW.status <> 'active' AND NEW.ended_at IS NULL THEN
        NEW.ended_at := now();
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION conversations_status_guard() IS
    'Trigger: allows only active -> completed | abandoned | error (SQLSTATE HI001 otherwise) and stamps ended_at.';
CREATE TRIGGER trg_conversations_status_guard BEFORE UPDATE ON conversations
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION conversations_status_guard();

-- ---------------------------------------------------------------------------------------------------------------------
-- Messages: only into an active conversation; serialized per conversation.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION conversation_messages_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    v_status TEXT;
BEGIN
    -- Lock the conversation row first: a concurrent close/expire waits for this append (and re-checks its WHERE
    -- after it), and an append after a committed close sees the new status.
    SELECT status INTO v_status FROM conversations WHERE id = NEW.conversation_id FOR NO KEY UPDATE;
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
END $$;
COMMENT ON FUNCTION conversation_messages_guard() IS
    'Trigger: refuses messages to unknown (HI002) or non-active (HI003) conversations; locks the conversation row so '
    'concurrent appends are serialized and a close cannot interleave.';
CREATE TRIGGER trg_conversation_messages_guard BEFORE INSERT ON conversation_messages
    FOR EACH ROW EXECUTE FUNCTION conversation_messages_guard();

-- ---------------------------------------------------------------------------------------------------------------------
-- Build manifests: digest, immutability after publish, publish/deploy preconditions.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION manifest_digest(p_manifest JSONB) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(p_manifest::text, 'UTF8')), 'hex')
$$;
COMMENT ON FUNCTION manifest_digest(JSONB) IS
    'SHA-256 (hex) of the canonical manifest text: PostgreSQL''s jsonb rendering (keys sorted, duplicates removed, '
    'whitespace normalized), so equal content has an equal digest however the JSON was written.';

CREATE FUNCTION build_manifests_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
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
        NEW.manifest_digest := manifest_digest(NEW.manifest);
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
        SELECT customer_id INTO v_conversation_customer FROM conversations WHERE id = NEW.conversation_id;
        IF FOUND AND v_conversation_customer <> NEW.customer_id THEN
            RAISE EXCEPTION 'conversation % belongs to another customer than manifest %', NEW.conversation_id, NEW.id
                USING ERRCODE = 'HI009';
        END IF;
    END IF;
    RETURN NEW;
END $$;
COMMENT ON FUNCTION build_manifests_guard() IS
    'Trigger: computes manifest_digest; a published manifest''s content, identity, validation and publication are '
    'immutable (HI004); publishing needs a valid manifest (HI005); deploying needs a published one (HI006).';
CREATE TRIGGER trg_build_manifests_guard BEFORE INSERT OR UPDATE ON build_manifests
    FOR EACH ROW EXECUTE FUNCTION build_manifests_guard();

-- Existing rows keep whatever they had; new and changed rows must satisfy it.
ALTER TABLE build_manifests
    ADD CONSTRAINT chk_build_manifests_published_valid CHECK (published_at IS NULL OR validation_status = 'valid') NOT VALID;

CREATE FUNCTION create_manifest_version(p_from UUID, p_manifest JSONB, p_conversation_id UUID DEFAULT NULL)
    RETURNS SETOF build_manifests
    LANGUAGE plpgsql AS $$
DECLARE
    v_src    build_manifests;
    v_latest build_manifests;
BEGIN
    IF p_manifest IS NULL OR jsonb_typeof(p_manifest) <> 'object' THEN
        RAISE EXCEPTION 'a manifest must be a JSON object' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_src FROM build_manifests WHERE id = p_from;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no manifest %', p_from USING ERRCODE = 'HI007';
    END IF;
    -- one version at a time per (customer, name); the next statement sees the versions committed before the lock
    PERFORM pg_advisory_xact_lock(hashtextextended('honua.manifest/' || v_src.customer_id || '/' || v_src.name, 0));
    SELECT * INTO v_latest FROM build_manifests
     WHERE customer_id = v_src.customer_id AND name = v_src.name ORDER BY version DESC LIMIT 1;
    IF v_latest.manifest_digest = manifest_digest(p_manifest) THEN
        RAISE EXCEPTION 'content is identical to version % of manifest %', v_latest.version, v_src.name
            USING ERRCODE = 'HI008';
    END IF;
    RETURN QUERY
        INSERT INTO build_manifests (customer_id, conversation_id, name, version, manifest, manifest_digest)
        VALUES (v_src.customer_id, coalesce(p_conversation_id, v_src.conversation_id), v_src.name, v_latest.version + 1,
                p_manifest, manifest_digest(p_manifest))
        RETURNING *;
END $$;
COMMENT ON FUNCTION create_manifest_version(UUID, JSONB, UUID) IS
    'New version (latest + 1) of the manifest family of p_from with new content: pending validation, unpublished, new '
    'digest. Concurrent calls get consecutive versions. Identical content to the latest version is refused (HI008).';

-- ---------------------------------------------------------------------------------------------------------------------
-- intent_analytics: count conversations once, manifests per conversation by distinct name (versions are one manifest).
-- Same columns and types as V5, so CREATE OR REPLACE keeps dependants.
-- ---------------------------------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW intent_analytics AS
SELECT coalesce(v.detected_intent, 'unknown')                      AS intent,
       count(*)                                                    AS conversations,
       round(count(*) FILTER (WHERE v.status = 'completed')::numeric / count(*), 4) AS completion_rate,
       round(avg(v.total_tokens), 2)                               AS avg_tokens,
       round(avg(v.satisfaction_score), 2)                         AS avg_satisfaction,
       coalesce(sum(m.manifests), 0)::bigint                       AS manifests_generated
  FROM conversations v
  LEFT JOIN LATERAL (SELECT count(DISTINCT bm.name) AS manifests
                       FROM build_manifests bm
                      WHERE bm.conversation_id = v.id) m ON TRUE
 GROUP BY 1;
COMMENT ON VIEW intent_analytics IS
    'Intent detection analytics: volume, completion, tokens, satisfaction and manifests (distinct names) per intent.';
