-- V12: the tenancy rules of V10 applied to the objects of the other migrations (V7 cache, V8 partitions and
-- analytics, V11 licensing functions), and partitions created later by maintain_partitions() kept as locked down as the ones
-- that existed when V10 ran.

-- (Tenant-owned tables of V7-V9 are covered by V10's sweep; V11 secures its own api_keys and license_build_usage.)

-- Bookkeeping without a tenant: the batch ledger of the cache access recorder is written by the service role only;
-- the partition policies are configuration that the application may read but not change.
REVOKE ALL ON cache_access_batches FROM PUBLIC, honua_app;
REVOKE INSERT, UPDATE, DELETE ON partition_policies FROM PUBLIC, honua_app;
ALTER TABLE cache_access_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE cache_access_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY honua_worker_all ON cache_access_batches FOR ALL TO honua_worker USING (true) WITH CHECK (true);
ALTER TABLE partition_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE partition_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY honua_read_all ON partition_policies FOR SELECT TO honua_app, honua_worker USING (true);
CREATE POLICY honua_worker_all ON partition_policies FOR ALL TO honua_worker USING (true) WITH CHECK (true);

-- Cross-tenant listings and key-usage reports run with the caller's rights: the service role (honua_worker) sees
-- every tenant, the application role only its own. Key verification and the quota triggers stay SECURITY DEFINER
-- (a presented key is checked before any tenant is known; quotas must count every row of the tenant).
ALTER FUNCTION licenses_expiring_within(BIGINT) SECURITY INVOKER;
ALTER FUNCTION invalid_registry_credentials() SECURITY INVOKER;
ALTER FUNCTION encrypted_rows_not_under_key(TEXT, TEXT, UUID, INTEGER) SECURITY INVOKER;
ALTER FUNCTION encryption_key_usage() SECURITY INVOKER;

-- Partitions are reached through their parent, whose policies apply; a partition queried directly must show nothing
-- to the application role. V10's event trigger locks new partitions down when the migration user is a superuser;
-- maintain_partitions() below calls the same honua_secure_new_partitions() so that it holds without one too.

-- maintain_partitions() (V8) creates and drops tables: it now runs with its owner's rights (the service role has no
-- DDL privilege) and secures the partitions it created before it returns. Same name, arguments and result.
ALTER FUNCTION maintain_partitions(TIMESTAMPTZ) RENAME TO maintain_partitions_unsecured;
REVOKE EXECUTE ON FUNCTION maintain_partitions_unsecured(TIMESTAMPTZ) FROM PUBLIC, honua_app, honua_worker;
CREATE FUNCTION maintain_partitions(p_now TIMESTAMPTZ DEFAULT now())
    RETURNS TABLE (table_name TEXT, action TEXT, partition_name TEXT, range_start TIMESTAMPTZ, range_end TIMESTAMPTZ,
                   rows_moved BIGINT)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT * FROM maintain_partitions_unsecured(p_now);
    PERFORM honua_secure_new_partitions();
END $$;
COMMENT ON FUNCTION maintain_partitions(TIMESTAMPTZ) IS
    'Partition upkeep by partition_policies (create ahead, move strays out of the default partition, drop past '
    'retention), one run at a time; new partitions are secured like the others. For the service role (honua_worker).';
REVOKE EXECUTE ON FUNCTION maintain_partitions(TIMESTAMPTZ) FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION maintain_partitions(TIMESTAMPTZ) TO honua_worker;
SELECT honua_secure_new_partitions();
