-- db-scheduler's work for 10 no-op one-time tasks, for scale against batchfloor.sql: a lock-and-fetch of 10 due
-- executions (one UPDATE of the rows a FOR UPDATE SKIP LOCKED sub-select picked, in the shape of db-scheduler's
-- PostgreSQL lock-and-fetch), then one DELETE per finished execution, each its own transaction (db-scheduler removes a
-- completed one-time task with one statement).
-- Table dbscheduler_tasks (made by run.sh) is db-scheduler's scheduled_tasks with its indexes.
WITH picked AS (UPDATE dbscheduler_tasks st1 SET picked = true, picked_by = 'pgbench-' || :client_id, last_heartbeat = now(), version = version + 1 WHERE (st1.task_name, st1.task_instance) IN (SELECT st2.task_name, st2.task_instance FROM dbscheduler_tasks st2 WHERE picked = false AND execution_time <= now() ORDER BY priority DESC, execution_time ASC FOR UPDATE SKIP LOCKED LIMIT 10) RETURNING st1.task_instance, st1.version) SELECT array_agg(task_instance) AS ids, count(*) AS got FROM picked \gset
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[1] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[2] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[3] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[4] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[5] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[6] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[7] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[8] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[9] AND version = 2;
DELETE FROM dbscheduler_tasks WHERE task_name = 'noop' AND task_instance = (:ids::text[])[10] AND version = 2;
