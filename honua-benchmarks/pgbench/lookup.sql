-- cache lookup by manifest hash and tier (10,000 entries, uniformly random key)
\set i random(1, 10000)
SELECT id, image_reference, image_digest, expires_at
  FROM build_cache_registry
 WHERE manifest_hash = encode(sha256(:i::text::bytea), 'hex') AND tier = 'standard';
