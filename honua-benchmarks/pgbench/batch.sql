-- a worker's batch: enqueue 10 builds, claim 10, complete the claimed ones in one statement (enqueue_builds,
-- claim_builds and complete_builds, what BuildQueue.enqueueAll, BuildWorker's claim and its batched completion send)
SELECT count(*) FROM enqueue_builds(array_fill('bench-customer'::text, ARRAY[10]), array_fill(5, ARRAY[10]),
                                    array_fill(NULL::uuid, ARRAY[10]), array_fill(NULL::text, ARRAY[10]),
                                    array_fill(NULL::text, ARRAY[10]), array_fill(NULL::bigint, ARRAY[10]),
                                    array_fill(NULL::integer, ARRAY[10]), array_fill(NULL::integer, ARRAY[10]),
                                    array_fill('{}'::text, ARRAY[10]), array_fill(NULL::text, ARRAY[10]),
                                    array_fill(NULL::text, ARRAY[10]), 60000);
SELECT coalesce(array_agg(id), '{}')::text AS ids, count(*) AS n FROM claim_builds('pgbench-' || :client_id, 10, 60) \gset
SELECT count(*) FROM complete_builds('pgbench-' || :client_id, :ids::uuid[], array_fill(0, ARRAY[:n::int]),
                                     array_fill(NULL::bigint, ARRAY[:n::int]), array_fill(NULL::numeric, ARRAY[:n::int]),
                                     array_fill(NULL::bigint, ARRAY[:n::int]), array_fill(NULL::text, ARRAY[:n::int]),
                                     array_fill(NULL::text, ARRAY[:n::int]), array_fill(NULL::bigint, ARRAY[:n::int]),
                                     array_fill(NULL::integer, ARRAY[:n::int]), array_fill(NULL::text, ARRAY[:n::int]),
                                     array_fill(NULL::text, ARRAY[:n::int]));
