-- The smallest honest SKIP LOCKED queue, for scale against lifecycle.sql: one table (minimal_queue, made by run.sh),
-- no triggers, no events, no fairness, no leases. Enqueue one job, claim one with FOR UPDATE SKIP LOCKED, delete it.
INSERT INTO minimal_queue (payload) VALUES ('{}');
WITH next AS (
    SELECT id FROM minimal_queue WHERE claimed_by IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE minimal_queue q SET claimed_by = 'pgbench-' || :client_id, claimed_at = now()
      FROM next WHERE q.id = next.id
    RETURNING q.id
)
SELECT count(*) AS got, max(id) AS claimed FROM claimed \gset
\if :got
DELETE FROM minimal_queue WHERE id = :claimed;
\endif
