-- enqueue one build, claim one, complete it: the three statements BuildQueue sends
SELECT * FROM enqueue_builds(ARRAY['bench-customer'], ARRAY[5], ARRAY[NULL::uuid], ARRAY[NULL::text], ARRAY[NULL::text],
                             ARRAY[NULL::bigint], ARRAY[NULL::integer], ARRAY[NULL::integer], ARRAY['{}'],
                             ARRAY[NULL::text], ARRAY[NULL::text], 60000);
SELECT count(*) AS got, max(id::text) AS claimed FROM claim_builds('pgbench-' || :client_id, 1, 60) \gset
\if :got
SELECT * FROM complete_build_with_result(:claimed::uuid, 'pgbench-' || :client_id, 0, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
\endif
