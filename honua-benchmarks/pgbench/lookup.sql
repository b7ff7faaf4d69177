-- cache lookup by manifest hash and tier, with the tier rule (cache_lookup, what BuildCache.lookup sends);
-- 10,000 entries, uniformly random key
\set i random(1, 10000)
SELECT * FROM cache_lookup('bench-customer', encode(sha256(:i::text::bytea), 'hex'), 'standard');
