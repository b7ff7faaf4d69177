-- claim 10 builds exactly as BuildQueue.claim does, then put them back (the same harness as ClaimBenchmark)
SELECT * FROM claim_builds('pgbench-' || :client_id, 10, 60);
UPDATE build_queue SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, attempts = 0
 WHERE worker_id = 'pgbench-' || :client_id AND status = 'building';
