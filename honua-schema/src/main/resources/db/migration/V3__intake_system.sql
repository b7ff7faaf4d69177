-- =====================================================================================================================
-- V3: AI intake tables (seed 003_IntakeSystem.sql): conversations, conversation_messages, build_manifests,
-- requirement_extractions.
-- =====================================================================================================================

CREATE TABLE conversations (
    id                 UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- CASCADE: conversations are the customer's data.
    customer_id        TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    status             TEXT NOT NULL DEFAULT 'active' CONSTRAINT chk_conversations_status
                       CHECK (status IN ('active', 'completed', 'abandoned', 'error')),
    model              TEXT NOT NULL CONSTRAINT chk_conversations_model CHECK (length(model) BETWEEN 1 AND 200),
    detected_intent    TEXT CONSTRAINT chk_conversations_intent CHECK (length(detected_intent) <= 200),
    message_count      INTEGER NOT NULL DEFAULT 0 CONSTRAINT chk_conversations_messages CHECK (message_count >= 0),
    prompt_tokens      BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_conversations_prompt_tokens CHECK (prompt_tokens >= 0),
    completion_tokens  BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_conversations_completion_tokens CHECK (completion_tokens >= 0),
    total_tokens       BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_conversations_total_tokens CHECK (total_tokens >= 0),
    total_cost_usd     NUMERIC(12, 6) NOT NULL DEFAULT 0 CONSTRAINT chk_conversations_cost CHECK (total_cost_usd >= 0),
    satisfaction_score SMALLINT CONSTRAINT chk_conversations_satisfaction CHECK (satisfaction_score BETWEEN 1 AND 5),
    metadata           JSONB NOT NULL DEFAULT '{}' CONSTRAINT chk_conversations_metadata CHECK (jsonb_typeof(metadata) = 'object'),
    started_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_activity_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at           TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chk_conversations_ended CHECK (status = 'active' OR ended_at IS NOT NULL)
);
COMMENT ON TABLE conversations IS 'AI intake sessions with token, cost and satisfaction tracking. Status: active -> completed | abandoned | error.';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE conversation_messages (
    id                BIGINT GENERATED ALWAYS AS IDENTITY,
    -- CASCADE: messages are part of their conversation.
    conversation_id   UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role              TEXT NOT NULL CONSTRAINT chk_conversation_messages_role CHECK (role IN ('user', 'assistant', 'system', 'function')),
    content           TEXT NOT NULL CONSTRAINT chk_conversation_messages_content CHECK (length(content) <= 1000000),
    prompt_tokens     INTEGER NOT NULL DEFAULT 0 CONSTRAINT chk_conversation_messages_prompt CHECK (prompt_tokens >= 0),
    completion_tokens INTEGER NOT NULL DEFAULT 0 CONSTRAINT chk_conversation_messages_completion CHECK (completion_tokens >= 0),
    tokens            INTEGER NOT NULL DEFAULT 0 CONSTRAINT chk_conversation_messages_tokens CHECK (tokens >= 0),
    cost_usd          NUMERIC(12, 6) NOT NULL DEFAULT 0 CONSTRAINT chk_conversation_messages_cost CHECK (cost_usd >= 0),
    function_name     TEXT CONSTRAINT chk_conversation_messages_function CHECK (length(function_name) <= 200),
    function_call     JSONB,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
COMMENT ON TABLE conversation_messages IS 'Messages of conversations (user, assistant, system, function). Partitioned monthly by created_at.';
CREATE TABLE conversation_messages_default PARTITION OF conversation_messages DEFAULT;
ALTER TABLE conversation_messages_default SET (autovacuum_vacuum_scale_factor = 0.05);

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_manifests (
    id                UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- CASCADE: manifests are the customer's data.
    customer_id       TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE CASCADE,
    -- SET NULL: a manifest stays valid (and deployable) after its conversation is deleted.
    conversation_id   UUID REFERENCES conversations (id) ON DELETE SET NULL,
    name              TEXT NOT NULL CONSTRAINT chk_build_manifests_name CHECK (length(name) BETWEEN 1 AND 200),
    version           INTEGER NOT NULL DEFAULT 1 CONSTRAINT chk_build_manifests_version CHECK (version >= 1),
    manifest          JSONB NOT NULL CONSTRAINT chk_build_manifests_manifest CHECK (jsonb_typeof(manifest) = 'object'),
    manifest_digest   TEXT NOT NULL CONSTRAINT chk_build_manifests_digest CHECK (manifest_digest ~ '^[0-9a-f]{64}$'),
    validation_status TEXT NOT NULL DEFAULT 'pending' CONSTRAINT chk_build_manifests_validation
                      CHECK (validation_status IN ('pending', 'valid', 'invalid')),
    validation_errors JSONB NOT NULL DEFAULT '[]' CONSTRAINT chk_build_manifests_errors CHECK (jsonb_typeof(validation_errors) = 'array'),
    published_at      TIMESTAMPTZ,
    deployment_status TEXT NOT NULL DEFAULT 'not_deployed' CONSTRAINT chk_build_manifests_deployment
                      CHECK (deployment_status IN ('not_deployed', 'deploying', 'deployed', 'failed')),
    deployment_target TEXT,
    deployed_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_build_manifests_version UNIQUE (customer_id, name, version)
);
COMMENT ON TABLE build_manifests IS 'Build configurations generated from conversations; versioned, digest = SHA-256 of the manifest.';

-- SET NULL: a build keeps its history when the manifest it came from is deleted (manifest_hash stays).
ALTER TABLE build_queue
    ADD CONSTRAINT fk_build_queue_manifest FOREIGN KEY (manifest_id) REFERENCES build_manifests (id) ON DELETE SET NULL;

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE requirement_extractions (
    id               UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- CASCADE: an extraction is derived from its conversation.
    conversation_id  UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- SET NULL: the extraction stays (for accuracy analytics) when the manifest is deleted.
    manifest_id      UUID REFERENCES build_manifests (id) ON DELETE SET NULL,
    requirement_type TEXT NOT NULL CONSTRAINT chk_requirement_extractions_type
                     CHECK (requirement_type IN ('language', 'framework', 'runtime', 'dependency', 'build_command',
                                                 'test_command', 'deployment_target', 'resource_limit', 'environment', 'other')),
    extracted_value  JSONB NOT NULL,
    confidence       NUMERIC(4, 3) NOT NULL CONSTRAINT chk_requirement_extractions_confidence CHECK (confidence BETWEEN 0 AND 1),
    was_corrected    BOOLEAN NOT NULL DEFAULT FALSE,
    corrected_value  JSONB,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chk_requirement_extractions_correction CHECK (NOT was_corrected OR corrected_value IS NOT NULL)
);
COMMENT ON TABLE requirement_extractions IS 'Requirements the AI extracted from a conversation, with confidence and human corrections.';
