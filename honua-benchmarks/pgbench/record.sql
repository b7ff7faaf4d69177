-- one cache access logged (record_cache_access, what BuildCache.record sends): a log row plus the hit-count update
\set i random(1, 10000)
SELECT record_cache_access('bench-customer', encode(sha256(:i::text::bytea), 'hex'), 'standard', true);
