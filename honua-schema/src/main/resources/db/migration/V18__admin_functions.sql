-- =====================================================================================================================
-- V18: the administrative role changes the commercial state only through functions (issue 12)
--   * honua_admin loses every direct write on licenses, api_keys, license_build_usage, build_queue_slots and
--     build_queue_weights, and INSERT / DELETE / UPDATE of the tier on customers. Licenses, tiers, customer creation,
--     API keys (with their scopes) and fair-share weights change through the SECURITY DEFINER functions of
--     R__licensing.sql, R__audit_tenancy.sql and R__queue.sql, which validate their input (typed SQLSTATEs) and keep
--     the caller as the audit actor. It keeps SELECT everywhere it had it, and UPDATE of the contact columns of
--     customers (name, email, subscription status, metadata, soft delete), as the tenant itself has.
--   * Nobody writes api_keys directly any more: the tenant (honua_app) revokes its keys through revoke_api_key(), so
--     a revoked key can no longer be revived by setting revoked_at back to NULL.
--   * honua_admin's row-level-security policies match: read-only where it no longer writes.
--   * Fair-share weight overrides are audited like the rest of the commercial state.
-- No function bodies here (they are in the R__ files, which run after this migration, grants beside them).
-- =====================================================================================================================

-- ---------------------------------------------------------------------------------------------------------------------
-- 1. Table privileges
-- ---------------------------------------------------------------------------------------------------------------------
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.licenses, public.api_keys, public.license_build_usage,
    public.build_queue_slots, public.build_queue_weights FROM honua_admin;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.customers FROM honua_admin;
GRANT UPDATE (name, email, subscription_status, metadata, deleted_at, updated_at) ON public.customers TO honua_admin;
-- the tenant's direct revocation (V13) could also un-revoke: revoke_api_key() replaces it
REVOKE UPDATE (revoked_at, updated_at) ON public.api_keys FROM honua_app;
REVOKE UPDATE ON public.api_keys FROM honua_app;
GRANT SELECT ON public.customers, public.licenses, public.api_keys, public.license_build_usage, public.build_queue_slots,
    public.build_queue_weights TO honua_admin;

-- ---------------------------------------------------------------------------------------------------------------------
-- 2. honua_admin's policies: read-only where it no longer writes (its functions run as the owner, honua_owner_all)
-- ---------------------------------------------------------------------------------------------------------------------
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['customers', 'licenses', 'api_keys', 'license_build_usage', 'build_queue_slots',
                             'build_queue_weights', 'registry_credentials'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS honua_admin_all ON public.%I', t);
        EXECUTE format('DROP POLICY IF EXISTS honua_admin_read ON public.%I', t);
        EXECUTE format('CREATE POLICY honua_admin_read ON public.%I AS PERMISSIVE FOR SELECT TO honua_admin USING (true)', t);
    END LOOP;
END $$;
-- customers: the contact columns (the column grant above keeps the tier out of reach)
DROP POLICY IF EXISTS honua_admin_update ON public.customers;
CREATE POLICY honua_admin_update ON public.customers AS PERMISSIVE FOR UPDATE TO honua_admin USING (true) WITH CHECK (true);

-- ---------------------------------------------------------------------------------------------------------------------
-- 3. Fair-share weight overrides are commercial state too: audited (set_fair_share_weight() writes them)
-- ---------------------------------------------------------------------------------------------------------------------
SELECT public.honua_audit_table('public.build_queue_weights', 'customer_id');
