-- V21: queue throughput (issue 11) - less write work per claimed and completed build.
--
-- Every claim and every completion is a non-HOT update of a build_queue row (status is in index predicates), so each
-- index on build_queue costs one index insertion per state change, and each row trigger one PL/pgSQL call per row.
--   * idx_build_queue_claim (priority DESC, queued_at) WHERE queued: superseded by idx_build_queue_ready (V14), which
--     claim_builds() reads; nothing else orders queued builds that way.
--   * idx_build_queue_config (GIN on build_config): no query of the library searches configurations; it cost a GIN
--     insertion on every state change of every build.
--   * idx_build_queue_running (started_at) and idx_build_queue_lease (lease_expires_at), both WHERE building:
--     the running builds are few (workers x concurrency); handle_build_timeouts() and stuck_builds() read them
--     through idx_build_queue_worker (the same predicate). Without an index on lease_expires_at a heartbeat changes
--     no indexed column, so it can be a HOT update (fillfactor below leaves room on the page for it).
DROP INDEX public.idx_build_queue_claim;
DROP INDEX public.idx_build_queue_config;
DROP INDEX public.idx_build_queue_running;
DROP INDEX public.idx_build_queue_lease;
COMMENT ON INDEX public.idx_build_queue_worker IS
    'Running builds (few): by worker, and the whole set for handle_build_timeouts() and stuck_builds().';

ALTER TABLE public.build_queue SET (fillfactor = 80);
