-- a batch of 1,000 cache accesses in one statement (record_cache_accesses, what the CacheAccessRecorder sends per batch)
\set i random(1, 9000)
SELECT record_cache_accesses(gen_random_uuid(),
       array_fill('bench-customer'::text, ARRAY[1000]),
       ARRAY(SELECT encode(sha256((:i + g)::text::bytea), 'hex') FROM generate_series(1, 1000) g),
       array_fill('standard'::text, ARRAY[1000]),
       array_fill(true, ARRAY[1000]),
       array_fill((extract(epoch FROM clock_timestamp()) * 1000)::bigint, ARRAY[1000]));
