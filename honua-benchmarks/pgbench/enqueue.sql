-- enqueue a batch of 100 builds exactly as BuildQueue.enqueueAll does (enqueue_builds with column arrays)
SELECT * FROM enqueue_builds(array_fill('bench-enqueue'::text, ARRAY[100]), array_fill(5, ARRAY[100]),
                             array_fill(NULL::uuid, ARRAY[100]), array_fill(NULL::text, ARRAY[100]),
                             array_fill(NULL::text, ARRAY[100]), array_fill(NULL::bigint, ARRAY[100]),
                             array_fill(NULL::integer, ARRAY[100]), array_fill(NULL::integer, ARRAY[100]),
                             array_fill('{}'::text, ARRAY[100]), array_fill(NULL::text, ARRAY[100]),
                             array_fill(NULL::text, ARRAY[100]), 60000);
