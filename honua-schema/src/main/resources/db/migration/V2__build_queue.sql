-- =====================================================================================================================
-- V2: build queue tables (seed 002_BuildQueue.sql): build_queue, build_results, build_artifacts, build_events,
-- build_metrics.
-- =====================================================================================================================

CREATE TABLE build_queue (
    id               UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- RESTRICT: build history is billing evidence; a customer with builds is soft-deleted, and
    -- purge_soft_deleted_records() removes the builds explicitly before the customer.
    customer_id      TEXT NOT NULL REFERENCES customers (customer_id) ON DELETE RESTRICT,
    manifest_id      UUID,            -- FK to build_manifests added in V3
    manifest_hash    TEXT CONSTRAINT chk_build_queue_manifest_hash CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
    priority         SMALLINT NOT NULL DEFAULT 5 CONSTRAINT chk_build_queue_priority CHECK (priority BETWEEN 1 AND 10),
    status           TEXT NOT NULL DEFAULT 'queued' CONSTRAINT chk_build_queue_status
                     CHECK (status IN ('queued', 'building', 'completed', 'failed', 'cancelled', 'timeout')),
    worker_id        TEXT CONSTRAINT chk_build_queue_worker CHECK (length(worker_id) BETWEEN 1 AND 200),
    queued_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    progress_percent SMALLINT NOT NULL DEFAULT 0 CONSTRAINT chk_build_queue_progress CHECK (progress_percent BETWEEN 0 AND 100),
    current_step     TEXT CONSTRAINT chk_build_queue_step CHECK (length(current_step) <= 500),
    timeout_seconds  INTEGER NOT NULL DEFAULT 3600 CONSTRAINT chk_build_queue_timeout CHECK (timeout_seconds > 0),
    attempts         INTEGER NOT NULL DEFAULT 0 CONSTRAINT chk_build_queue_attempts CHECK (attempts >= 0),
    max_attempts     INTEGER NOT NULL DEFAULT 3 CONSTRAINT chk_build_queue_max_attempts CHECK (max_attempts > 0),
    last_error       TEXT,
    build_config     JSONB NOT NULL DEFAULT '{}'
                     CONSTRAINT chk_build_queue_config CHECK (jsonb_typeof(build_config) = 'object'),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT chk_build_queue_building_has_worker CHECK (status <> 'building' OR worker_id IS NOT NULL)
);
COMMENT ON TABLE build_queue IS 'Build jobs: priority 1 (low) .. 10 (high), claimed by workers with FOR UPDATE SKIP LOCKED.';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_results (
    -- CASCADE: a result is part of its build.
    build_id          UUID PRIMARY KEY REFERENCES build_queue (id) ON DELETE CASCADE,
    success           BOOLEAN NOT NULL,
    exit_code         INTEGER,
    duration_ms       BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_build_results_duration CHECK (duration_ms >= 0),
    cpu_seconds       NUMERIC(14, 3) CONSTRAINT chk_build_results_cpu CHECK (cpu_seconds >= 0),
    peak_memory_bytes BIGINT CONSTRAINT chk_build_results_memory CHECK (peak_memory_bytes >= 0),
    image_reference   TEXT,
    image_digest      TEXT,
    image_size_bytes  BIGINT CONSTRAINT chk_build_results_image_size CHECK (image_size_bytes >= 0),
    layer_count       INTEGER CONSTRAINT chk_build_results_layers CHECK (layer_count >= 0),
    stdout_log        TEXT,
    stderr_log        TEXT,
    logs_truncated_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE build_results IS 'Outcome of a build: success, resources, image, logs (logs are truncated after the retention period).';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_artifacts (
    id            UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
    -- CASCADE: artifacts are outputs of their build.
    build_id      UUID NOT NULL REFERENCES build_queue (id) ON DELETE CASCADE,
    artifact_type TEXT NOT NULL CONSTRAINT chk_build_artifacts_type
                  CHECK (artifact_type IN ('container_image', 'sbom', 'security_scan', 'test_report', 'log', 'other')),
    name          TEXT NOT NULL CONSTRAINT chk_build_artifacts_name CHECK (length(name) BETWEEN 1 AND 500),
    uri           TEXT NOT NULL CONSTRAINT chk_build_artifacts_uri CHECK (length(uri) BETWEEN 1 AND 2000),
    content_hash  TEXT NOT NULL CONSTRAINT chk_build_artifacts_hash CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    size_bytes    BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_build_artifacts_size CHECK (size_bytes >= 0),
    media_type    TEXT,
    metadata      JSONB NOT NULL DEFAULT '{}' CONSTRAINT chk_build_artifacts_metadata CHECK (jsonb_typeof(metadata) = 'object'),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_build_artifacts_content UNIQUE (build_id, content_hash)
);
COMMENT ON TABLE build_artifacts IS 'Images, SBOMs, security scan and test reports of a build, content-addressed by SHA-256.';

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    -- CASCADE: events are part of their build's history.
    build_id        UUID NOT NULL REFERENCES build_queue (id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL CONSTRAINT chk_build_events_type
                    CHECK (event_type IN ('queued', 'claimed', 'progress', 'heartbeat', 'completed', 'failed',
                                          'cancelled', 'timeout', 'retried', 'requeued')),
    event_data      JSONB NOT NULL DEFAULT '{}',
    event_timestamp TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id, event_timestamp)
) PARTITION BY RANGE (event_timestamp);
COMMENT ON TABLE build_events IS 'State changes of builds. Partitioned monthly by event_timestamp.';
CREATE TABLE build_events_default PARTITION OF build_events DEFAULT;
ALTER TABLE build_events_default SET (autovacuum_vacuum_scale_factor = 0.05);

-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE build_metrics (
    id               BIGINT GENERATED ALWAYS AS IDENTITY,
    -- CASCADE: metrics describe their build.
    build_id         UUID NOT NULL REFERENCES build_queue (id) ON DELETE CASCADE,
    metric_name      TEXT NOT NULL CONSTRAINT chk_build_metrics_name CHECK (length(metric_name) BETWEEN 1 AND 200),
    metric_value     DOUBLE PRECISION NOT NULL,
    labels           JSONB NOT NULL DEFAULT '{}',
    metric_timestamp TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id, metric_timestamp)
) PARTITION BY RANGE (metric_timestamp);
COMMENT ON TABLE build_metrics IS 'Time series of build metrics (CPU, memory, ...). Partitioned daily by metric_timestamp.';
CREATE TABLE build_metrics_default PARTITION OF build_metrics DEFAULT;
