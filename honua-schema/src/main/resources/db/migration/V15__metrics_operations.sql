-- =====================================================================================================================
-- V15: build metrics, operations, autovacuum settings of partitions, missing foreign-key indexes (issue 13).
--   * indexes for the two foreign keys that had none (a DELETE of the referenced row scanned the whole table)
--   * GIN index on build_metrics.labels (jsonb_path_ops: label filters labels @> '{"k": "v"}')
--   * the seed's autovacuum setting (autovacuum_vacuum_scale_factor = 0.05) on build_metrics' DEFAULT partition too,
--     and on every partition that maintain_partitions() created before: a partition takes the storage parameters of
--     its table's DEFAULT partition (R__partitions.sql does the same for partitions it creates from now on)
--   * SELECT on Flyway's history for both roles: honua_health() (readiness, caller's rights) reads the applied version
-- The functions of these capabilities live in R__metrics.sql, R__operations.sql and R__dependencies.sql, with their
-- grants (they do not exist yet when this versioned migration runs on a fresh database).
-- =====================================================================================================================

CREATE INDEX idx_build_cache_registry_created_by ON build_cache_registry (created_by_customer_id);
COMMENT ON INDEX idx_build_cache_registry_created_by IS 'Foreign key to customers: deleting (purging) a customer.';
CREATE INDEX idx_requirement_extractions_manifest ON requirement_extractions (manifest_id);
COMMENT ON INDEX idx_requirement_extractions_manifest IS 'Foreign key to build_manifests: deleting a manifest, extractions of a manifest.';

CREATE INDEX idx_build_metrics_labels ON build_metrics USING gin (labels jsonb_path_ops);
COMMENT ON INDEX idx_build_metrics_labels IS 'Label filters of metric series (labels @> ...).';

ALTER TABLE build_metrics_default SET (autovacuum_vacuum_scale_factor = 0.05);

DO $$
DECLARE
    v_part    regclass;
    v_options TEXT;
BEGIN
    FOR v_part, v_options IN
        SELECT i.inhrelid::regclass,
               (SELECT string_agg(format('%I = %L', o.option_name, o.option_value), ', ')
                  FROM pg_options_to_table(d.reloptions) o)
          FROM partition_policies p
          JOIN pg_partitioned_table pt ON pt.partrelid = to_regclass(format('public.%I', p.table_name))
          JOIN pg_class d ON d.oid = pt.partdefid
          JOIN pg_inherits i ON i.inhparent = pt.partrelid AND i.inhrelid <> pt.partdefid
         WHERE d.reloptions IS NOT NULL
    LOOP
        EXECUTE format('ALTER TABLE %s SET (%s)', v_part, v_options);
    END LOOP;
END $$;

-- Readiness checks (honua_health(), caller's rights) read the applied migrations; reading is all the roles need.
GRANT SELECT ON flyway_schema_history TO honua_app, honua_worker;
