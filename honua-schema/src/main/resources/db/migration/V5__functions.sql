-- =====================================================================================================================
-- V5: functions, triggers and views (seed 005_Functions.sql).
-- =====================================================================================================================

-- updated_at on every table that has it.
CREATE TRIGGER trg_customers_updated_at BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_licenses_updated_at BEFORE UPDATE ON licenses FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_registry_credentials_updated_at BEFORE UPDATE ON registry_credentials FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_build_cache_registry_updated_at BEFORE UPDATE ON build_cache_registry FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_build_queue_updated_at BEFORE UPDATE ON build_queue FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_conversations_updated_at BEFORE UPDATE ON conversations FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_build_manifests_updated_at BEFORE UPDATE ON build_manifests FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_requirement_extractions_updated_at BEFORE UPDATE ON requirement_extractions FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------------------------------
-- Cache management
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION update_cache_stats() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.access_type = 'hit' AND NEW.cache_entry_id IS NOT NULL THEN
        UPDATE build_cache_registry
           SET hit_count = hit_count + 1,
               last_hit_at = greatest(coalesce(last_hit_at, NEW.accessed_at), NEW.accessed_at)
         WHERE id = NEW.cache_entry_id;
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION update_cache_stats() IS 'Trigger: a logged cache hit increments the entry''s hit_count and last_hit_at.';
CREATE TRIGGER trg_build_access_log_cache_stats AFTER INSERT ON build_access_log
    FOR EACH ROW EXECUTE FUNCTION update_cache_stats();

CREATE FUNCTION record_cache_access(p_customer_id TEXT, p_manifest_hash TEXT, p_tier TEXT, p_hit BOOLEAN)
    RETURNS BIGINT
    LANGUAGE plpgsql AS $$
DECLARE
    v_entry UUID;
    v_id    BIGINT;
BEGIN
    SELECT id INTO v_entry FROM build_cache_registry WHERE manifest_hash = p_manifest_hash AND tier = p_tier;
    INSERT INTO build_access_log (cache_entry_id, customer_id, manifest_hash, tier, access_type)
    VALUES (v_entry, p_customer_id, p_manifest_hash, p_tier, CASE WHEN p_hit AND v_entry IS NOT NULL THEN 'hit' ELSE 'miss' END)
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
COMMENT ON FUNCTION record_cache_access(TEXT, TEXT, TEXT, BOOLEAN) IS
    'Logs one cache lookup (a hit only when the entry exists); the trigger updates the entry''s statistics. Returns the log id.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Build queue
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION get_next_build_for_worker(p_worker_id TEXT)
    RETURNS SETOF build_queue
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    WITH next AS (
        SELECT id FROM build_queue
         WHERE status = 'queued'
         ORDER BY priority DESC, queued_at
         LIMIT 1
           FOR UPDATE SKIP LOCKED
    )
    UPDATE build_queue b
       SET status = 'building', worker_id = p_worker_id, started_at = now(), attempts = b.attempts + 1,
           progress_percent = 0, current_step = NULL
      FROM next
     WHERE b.id = next.id
    RETURNING b.*;
END $$;
COMMENT ON FUNCTION get_next_build_for_worker(TEXT) IS 'Atomically assigns the next queued build to a worker (none: no row).';

CREATE FUNCTION update_build_progress(p_build_id UUID, p_worker_id TEXT, p_progress_percent INTEGER, p_current_step TEXT)
    RETURNS BOOLEAN
    LANGUAGE plpgsql AS $$
BEGIN
    IF p_progress_percent IS NULL OR p_progress_percent NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'progress must be 0..100, got %', p_progress_percent USING ERRCODE = '22023';
    END IF;
    UPDATE build_queue
       SET progress_percent = p_progress_percent, current_step = p_current_step
     WHERE id = p_build_id AND status = 'building' AND worker_id = p_worker_id;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION update_build_progress(UUID, TEXT, INTEGER, TEXT) IS
    'Updates real-time progress of a build; only the worker holding it may. False when it does not.';

CREATE FUNCTION handle_build_timeouts()
    RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    v_count INTEGER;
BEGIN
    UPDATE build_queue
       SET status = 'timeout', completed_at = now(),
           last_error = 'build exceeded its timeout of ' || timeout_seconds || ' s'
     WHERE status = 'building' AND started_at + make_interval(secs => timeout_seconds) < now();
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
COMMENT ON FUNCTION handle_build_timeouts() IS 'Marks builds running past their timeout as timed out. Returns how many.';

CREATE FUNCTION retry_failed_build(p_build_id UUID)
    RETURNS BOOLEAN
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE build_queue
       SET status = 'queued', worker_id = NULL, completed_at = NULL, progress_percent = 0, current_step = NULL
     WHERE id = p_build_id AND status IN ('failed', 'timeout') AND attempts < max_attempts;
    RETURN FOUND;
END $$;
COMMENT ON FUNCTION retry_failed_build(UUID) IS 'Requeues a failed or timed-out build that has attempts left.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Conversations
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION update_conversation_stats() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    -- one UPDATE with increments: row-locks the conversation, so concurrent messages are all counted
    UPDATE conversations
       SET message_count     = message_count + 1,
           prompt_tokens     = prompt_tokens + NEW.prompt_tokens,
           completion_tokens = completion_tokens + NEW.completion_tokens,
           total_tokens      = total_tokens + NEW.tokens,
           total_cost_usd    = total_cost_usd + NEW.cost_usd,
           last_activity_at  = greatest(last_activity_at, NEW.created_at)
     WHERE id = NEW.conversation_id;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION update_conversation_stats() IS 'Trigger: keeps message count, token and cost totals of a conversation exact.';
CREATE TRIGGER trg_conversation_messages_stats AFTER INSERT ON conversation_messages
    FOR EACH ROW EXECUTE FUNCTION update_conversation_stats();

CREATE FUNCTION expire_old_conversations(p_inactive_hours INTEGER DEFAULT 24)
    RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_inactive_hours IS NULL OR p_inactive_hours < 0 THEN
        RAISE EXCEPTION 'inactive hours must be >= 0, got %', p_inactive_hours USING ERRCODE = '22023';
    END IF;
    UPDATE conversations
       SET status = 'abandoned', ended_at = now()
     WHERE status = 'active' AND last_activity_at < now() - make_interval(hours => p_inactive_hours);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
COMMENT ON FUNCTION expire_old_conversations(INTEGER) IS 'Marks active conversations inactive for p_inactive_hours (default 24) as abandoned.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Cleanup & maintenance
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION revoke_expired_credentials()
    RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    v_count INTEGER;
BEGIN
    UPDATE registry_credentials
       SET is_active = FALSE, revoked_at = now(),
           validation_status = CASE WHEN expires_at IS NOT NULL AND expires_at < now() THEN 'expired' ELSE validation_status END
     WHERE is_active
       AND ((validation_status = 'invalid' AND last_validated_at < now() - interval '7 days')
            OR (expires_at IS NOT NULL AND expires_at < now()));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
COMMENT ON FUNCTION revoke_expired_credentials() IS 'Revokes credentials invalid for 7+ days or past their expiry.';

CREATE FUNCTION expire_licenses()
    RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    v_count INTEGER;
BEGIN
    UPDATE licenses
       SET status = 'expired'
     WHERE status IN ('active', 'trial')
       AND ((expires_at IS NOT NULL AND expires_at < now()) OR (is_trial AND trial_ends_at < now()));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
COMMENT ON FUNCTION expire_licenses() IS 'Marks active or trial licenses past their expiry (or trial end) as expired.';

CREATE FUNCTION cleanup_old_build_logs(p_retention_days INTEGER DEFAULT 90)
    RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_retention_days IS NULL OR p_retention_days < 1 THEN
        RAISE EXCEPTION 'retention must be >= 1 day, got %', p_retention_days USING ERRCODE = '22023';
    END IF;
    UPDATE build_results
       SET stdout_log = NULL, stderr_log = NULL, logs_truncated_at = now()
     WHERE created_at < now() - make_interval(days => p_retention_days)
       AND (stdout_log IS NOT NULL OR stderr_log IS NOT NULL);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    DELETE FROM build_access_log WHERE accessed_at < now() - make_interval(days => p_retention_days);
    RETURN v_count;
END $$;
COMMENT ON FUNCTION cleanup_old_build_logs(INTEGER) IS
    'Truncates build logs older than the retention (default 90 days) and deletes old access-log rows. Returns truncated results.';

CREATE FUNCTION purge_soft_deleted_records(p_retention_days INTEGER DEFAULT 30)
    RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    v_count INTEGER;
BEGIN
    IF p_retention_days IS NULL OR p_retention_days < 0 THEN
        RAISE EXCEPTION 'retention must be >= 0 days, got %', p_retention_days USING ERRCODE = '22023';
    END IF;
    -- build_queue references customers with RESTRICT: remove the purged customers' builds first, on purpose.
    DELETE FROM build_queue q
     USING customers c
     WHERE q.customer_id = c.customer_id
       AND c.deleted_at < now() - make_interval(days => p_retention_days);
    DELETE FROM customers WHERE deleted_at < now() - make_interval(days => p_retention_days);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
COMMENT ON FUNCTION purge_soft_deleted_records(INTEGER) IS
    'Permanently deletes customers soft-deleted longer than the retention (default 30 days), with all their data.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Analytics
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION get_cache_hit_rate(p_customer_id TEXT DEFAULT NULL, p_days INTEGER DEFAULT 7)
    RETURNS TABLE (customer_id TEXT, total_accesses BIGINT, hits BIGINT, misses BIGINT, hit_rate NUMERIC)
    LANGUAGE sql STABLE AS $$
    SELECT l.customer_id,
           count(*)                                           AS total_accesses,
           count(*) FILTER (WHERE l.access_type = 'hit')      AS hits,
           count(*) FILTER (WHERE l.access_type = 'miss')     AS misses,
           round(count(*) FILTER (WHERE l.access_type = 'hit')::numeric / count(*), 4) AS hit_rate
      FROM build_access_log l
     WHERE (p_customer_id IS NULL OR l.customer_id = p_customer_id)
       AND l.accessed_at >= now() - make_interval(days => p_days)
     GROUP BY l.customer_id
     ORDER BY l.customer_id;
$$;
COMMENT ON FUNCTION get_cache_hit_rate(TEXT, INTEGER) IS 'Cache hit rate per customer over the last p_days days (NULL customer: all).';

CREATE FUNCTION get_license_quota_usage(p_customer_id TEXT)
    RETURNS TABLE (customer_id TEXT, tier TEXT, max_builds_per_month INTEGER, builds_this_month BIGINT,
                   max_concurrent_builds INTEGER, concurrent_builds BIGINT, max_registries INTEGER, registries_used BIGINT)
    LANGUAGE sql STABLE AS $$
    SELECT l.customer_id, l.tier,
           l.max_builds_per_month,
           (SELECT count(*) FROM build_queue q
             WHERE q.customer_id = l.customer_id AND q.queued_at >= date_trunc('month', now())),
           l.max_concurrent_builds,
           (SELECT count(*) FROM build_queue q WHERE q.customer_id = l.customer_id AND q.status = 'building'),
           l.max_registries,
           (SELECT count(*) FROM registry_credentials r WHERE r.customer_id = l.customer_id AND r.is_active)
      FROM licenses l
     WHERE l.customer_id = p_customer_id AND l.status IN ('active', 'trial')
     ORDER BY l.issued_at DESC
     LIMIT 1;
$$;
COMMENT ON FUNCTION get_license_quota_usage(TEXT) IS 'Quota limits of the customer''s valid license beside current usage.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Monitoring views
-- ---------------------------------------------------------------------------------------------------------------------
CREATE VIEW active_builds AS
SELECT q.id, q.customer_id, c.name AS customer_name, q.status, q.priority, q.worker_id, q.progress_percent,
       q.current_step, q.attempts, q.queued_at, q.started_at,
       now() - q.queued_at AS age,
       CASE WHEN q.status = 'building' THEN now() - q.started_at END AS running_for
  FROM build_queue q
  JOIN customers c ON c.customer_id = q.customer_id
 WHERE q.status IN ('queued', 'building');
COMMENT ON VIEW active_builds IS 'Queued and building items with their age.';

CREATE VIEW build_performance_summary AS
SELECT date_trunc('day', q.completed_at)::date                          AS day,
       count(*)                                                          AS total_builds,
       count(*) FILTER (WHERE q.status = 'completed')                     AS succeeded,
       count(*) FILTER (WHERE q.status IN ('failed', 'timeout'))         AS failed,
       round(avg(r.duration_ms))::bigint                                 AS avg_duration_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_ms)       AS p95_duration_ms,
       round(avg(r.cpu_seconds), 3)                                      AS avg_cpu_seconds,
       max(r.peak_memory_bytes)                                          AS max_peak_memory_bytes
  FROM build_queue q
  LEFT JOIN build_results r ON r.build_id = q.id
 WHERE q.status IN ('completed', 'failed', 'timeout') AND q.completed_at IS NOT NULL
 GROUP BY 1;
COMMENT ON VIEW build_performance_summary IS 'Daily build performance: counts, success, duration average and p95.';

CREATE VIEW customer_build_usage AS
SELECT c.customer_id, c.name, c.tier,
       count(q.id)                                                                   AS total_builds,
       count(q.id) FILTER (WHERE q.queued_at >= date_trunc('month', now()))          AS builds_this_month,
       count(q.id) FILTER (WHERE q.status = 'completed')                             AS succeeded,
       count(q.id) FILTER (WHERE q.status IN ('failed', 'timeout'))                  AS failed,
       round(count(q.id) FILTER (WHERE q.status = 'completed')::numeric
             / nullif(count(q.id) FILTER (WHERE q.status IN ('completed', 'failed', 'timeout')), 0), 4) AS success_rate,
       round(avg(r.duration_ms))::bigint                                             AS avg_duration_ms,
       max(q.queued_at)                                                              AS last_build_at
  FROM customers c
  LEFT JOIN build_queue q ON q.customer_id = c.customer_id
  LEFT JOIN build_results r ON r.build_id = q.id
 WHERE c.deleted_at IS NULL
 GROUP BY c.customer_id, c.name, c.tier;
COMMENT ON VIEW customer_build_usage IS 'Per-customer build statistics.';

CREATE VIEW active_conversations AS
SELECT v.id, v.customer_id, v.model, v.detected_intent, v.message_count, v.total_tokens, v.total_cost_usd,
       v.started_at, v.last_activity_at, now() - v.last_activity_at AS idle_for
  FROM conversations v
 WHERE v.status = 'active';
COMMENT ON VIEW active_conversations IS 'Currently active AI conversations.';

CREATE VIEW conversation_performance_summary AS
SELECT v.model,
       count(*)                                                    AS conversations,
       count(*) FILTER (WHERE v.status = 'completed')              AS completed,
       count(*) FILTER (WHERE v.status = 'abandoned')              AS abandoned,
       round(count(*) FILTER (WHERE v.status = 'completed')::numeric / count(*), 4) AS completion_rate,
       round(avg(v.message_count), 2)                              AS avg_messages,
       round(avg(v.total_tokens), 2)                               AS avg_tokens,
       sum(v.total_cost_usd)                                       AS total_cost_usd,
       round(avg(v.satisfaction_score), 2)                         AS avg_satisfaction
  FROM conversations v
 GROUP BY v.model;
COMMENT ON VIEW conversation_performance_summary IS 'Conversation metrics by model.';

CREATE VIEW intent_analytics AS
SELECT coalesce(v.detected_intent, 'unknown')                      AS intent,
       count(*)                                                    AS conversations,
       round(count(*) FILTER (WHERE v.status = 'completed')::numeric / count(*), 4) AS completion_rate,
       round(avg(v.total_tokens), 2)                               AS avg_tokens,
       round(avg(v.satisfaction_score), 2)                         AS avg_satisfaction,
       count(DISTINCT m.id)                                        AS manifests_generated
  FROM conversations v
  LEFT JOIN build_manifests m ON m.conversation_id = v.id
 GROUP BY 1;
COMMENT ON VIEW intent_analytics IS 'Intent detection analytics: volume, completion, cost and manifests per intent.';

CREATE VIEW extraction_accuracy AS
SELECT e.requirement_type,
       count(*)                                                    AS extractions,
       count(*) FILTER (WHERE e.was_corrected)                     AS corrected,
       round(1 - count(*) FILTER (WHERE e.was_corrected)::numeric / count(*), 4) AS accuracy,
       round(avg(e.confidence), 3)                                 AS avg_confidence,
       round(avg(e.confidence) FILTER (WHERE e.was_corrected), 3)  AS avg_confidence_when_corrected
  FROM requirement_extractions e
 GROUP BY e.requirement_type;
COMMENT ON VIEW extraction_accuracy IS 'AI extraction accuracy per requirement type (1 - corrected share).';
