-- =====================================================================================================================
-- V4: indexes (seed 004_Indexes.sql). Each says which query it serves.
-- =====================================================================================================================

-- Fast cache lookups (manifest hash + tier). The unique constraint already indexes (manifest_hash, tier); this one
-- covers the columns a lookup returns so that it is answered from the index.
CREATE INDEX idx_build_cache_manifest_hash ON build_cache_registry (manifest_hash, tier)
    INCLUDE (id, image_reference, image_digest, expires_at);
COMMENT ON INDEX idx_build_cache_manifest_hash IS 'Cache lookup by manifest hash and tier (index-only).';
CREATE INDEX idx_build_cache_last_hit ON build_cache_registry (last_hit_at);
COMMENT ON INDEX idx_build_cache_last_hit IS 'Eviction of cache entries not hit for a long time.';
CREATE INDEX idx_build_cache_expires ON build_cache_registry (expires_at) WHERE expires_at IS NOT NULL;
COMMENT ON INDEX idx_build_cache_expires IS 'Expiry sweep of cache entries.';

-- Queue processing (priority + queued_at), queued rows only: finished history never enters it.
CREATE INDEX idx_build_queue_claim ON build_queue (priority DESC, queued_at) WHERE status = 'queued';
COMMENT ON INDEX idx_build_queue_claim IS 'Highest-priority, oldest queued build first; only queued rows.';
CREATE INDEX idx_build_queue_worker ON build_queue (worker_id) WHERE status = 'building';
COMMENT ON INDEX idx_build_queue_worker IS 'Builds a worker holds right now.';
CREATE INDEX idx_build_queue_running ON build_queue (started_at) WHERE status = 'building';
COMMENT ON INDEX idx_build_queue_running IS 'Stuck builds and timeouts: running builds by start time.';
CREATE INDEX idx_build_queue_customer_status ON build_queue (customer_id, status);
COMMENT ON INDEX idx_build_queue_customer_status IS 'Per-customer usage and concurrency (customer_build_usage, quota usage).';
CREATE INDEX idx_build_queue_customer_queued_at ON build_queue (customer_id, queued_at);
COMMENT ON INDEX idx_build_queue_customer_queued_at IS 'Builds of a customer in a period (builds this month).';
CREATE INDEX idx_build_queue_finished ON build_queue (completed_at) WHERE status IN ('completed', 'failed', 'timeout');
COMMENT ON INDEX idx_build_queue_finished IS 'Daily build performance analytics over finished builds.';
CREATE INDEX idx_build_queue_manifest ON build_queue (manifest_id) WHERE manifest_id IS NOT NULL;
COMMENT ON INDEX idx_build_queue_manifest IS 'Builds of a manifest; also serves the ON DELETE SET NULL of the manifest FK.';
CREATE INDEX idx_build_queue_config ON build_queue USING gin (build_config jsonb_path_ops);
COMMENT ON INDEX idx_build_queue_config IS 'Containment search in build configurations (@>).';

CREATE INDEX idx_build_results_created ON build_results (created_at);
COMMENT ON INDEX idx_build_results_created IS 'Log retention sweep (cleanup_old_build_logs).';
CREATE INDEX idx_build_artifacts_build ON build_artifacts (build_id, artifact_type);
COMMENT ON INDEX idx_build_artifacts_build IS 'Artifacts of a build by type.';
CREATE INDEX idx_build_artifacts_hash ON build_artifacts (content_hash);
COMMENT ON INDEX idx_build_artifacts_hash IS 'Find builds that produced the same content.';

-- Time series.
CREATE INDEX idx_build_access_log_customer_time ON build_access_log (customer_id, accessed_at);
COMMENT ON INDEX idx_build_access_log_customer_time IS 'Cache hit rate of a customer over a period.';
CREATE INDEX idx_build_access_log_time ON build_access_log (accessed_at);
COMMENT ON INDEX idx_build_access_log_time IS 'Cache hit rate of all customers over a period; retention.';
CREATE INDEX idx_build_events_build_time ON build_events (build_id, event_timestamp);
COMMENT ON INDEX idx_build_events_build_time IS 'History of a build.';
CREATE INDEX idx_build_events_time ON build_events (event_timestamp);
COMMENT ON INDEX idx_build_events_time IS 'Recent events across builds; retention.';
CREATE INDEX idx_build_metrics_build_time ON build_metrics (build_id, metric_timestamp);
COMMENT ON INDEX idx_build_metrics_build_time IS 'Metric series of a build.';
CREATE INDEX idx_build_metrics_name_time ON build_metrics (metric_name, metric_timestamp);
COMMENT ON INDEX idx_build_metrics_name_time IS 'One metric across builds over time.';
CREATE INDEX idx_conversation_messages_conversation ON conversation_messages (conversation_id, created_at);
COMMENT ON INDEX idx_conversation_messages_conversation IS 'Messages of a conversation in order.';

-- JSONB (GIN) search.
CREATE INDEX idx_licenses_feature_flags ON licenses USING gin (feature_flags);
COMMENT ON INDEX idx_licenses_feature_flags IS 'Licenses with a feature flag (feature_flags ? ''x'' / @>).';
CREATE INDEX idx_build_manifests_manifest ON build_manifests USING gin (manifest jsonb_path_ops);
COMMENT ON INDEX idx_build_manifests_manifest IS 'Containment search in manifests.';
CREATE INDEX idx_requirement_extractions_value ON requirement_extractions USING gin (extracted_value jsonb_path_ops);
COMMENT ON INDEX idx_requirement_extractions_value IS 'Containment search in extracted requirements.';
CREATE INDEX idx_conversation_messages_function_call ON conversation_messages USING gin (function_call jsonb_path_ops);
COMMENT ON INDEX idx_conversation_messages_function_call IS 'Search tool calls by payload.';

-- Partial indexes for active rows only.
CREATE INDEX idx_customers_active ON customers (tier, subscription_status) WHERE deleted_at IS NULL;
COMMENT ON INDEX idx_customers_active IS 'Live customers by tier and subscription status.';
CREATE INDEX idx_customers_deleted ON customers (deleted_at) WHERE deleted_at IS NOT NULL;
COMMENT ON INDEX idx_customers_deleted IS 'Purge of soft-deleted customers.';
CREATE INDEX idx_licenses_active ON licenses (customer_id, expires_at) WHERE status IN ('active', 'trial');
COMMENT ON INDEX idx_licenses_active IS 'The valid license of a customer; licenses expiring soon.';
CREATE INDEX idx_licenses_customer ON licenses (customer_id);
COMMENT ON INDEX idx_licenses_customer IS 'All licenses of a customer; serves the ON DELETE CASCADE.';
CREATE INDEX idx_registry_credentials_active ON registry_credentials (customer_id, validation_status) WHERE is_active;
COMMENT ON INDEX idx_registry_credentials_active IS 'Active credentials of a customer; invalid-credential health check.';
CREATE INDEX idx_conversations_active ON conversations (last_activity_at) WHERE status = 'active';
COMMENT ON INDEX idx_conversations_active IS 'Active conversations; expiry of inactive ones.';
CREATE INDEX idx_conversations_customer ON conversations (customer_id, started_at);
COMMENT ON INDEX idx_conversations_customer IS 'Conversations of a customer; serves the ON DELETE CASCADE.';
CREATE INDEX idx_conversations_model ON conversations (model, started_at);
COMMENT ON INDEX idx_conversations_model IS 'Conversation performance by model.';
CREATE INDEX idx_build_manifests_conversation ON build_manifests (conversation_id) WHERE conversation_id IS NOT NULL;
COMMENT ON INDEX idx_build_manifests_conversation IS 'Manifests of a conversation; serves the ON DELETE SET NULL.';
CREATE INDEX idx_requirement_extractions_conversation ON requirement_extractions (conversation_id);
COMMENT ON INDEX idx_requirement_extractions_conversation IS 'Extractions of a conversation; serves the ON DELETE CASCADE.';
CREATE INDEX idx_requirement_extractions_type ON requirement_extractions (requirement_type, was_corrected);
COMMENT ON INDEX idx_requirement_extractions_type IS 'Extraction accuracy by requirement type.';
