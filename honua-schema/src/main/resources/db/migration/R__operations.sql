-- Operations: readiness (honua_health) and the monitoring queries of seed 000's "Monitoring" and "Performance Issues"
-- sections (database and relation sizes, estimated bloat, dead tuples, vacuum/analyze times, sessions, the xmin
-- horizon, unused indexes, connection usage). Read by io.honua.db.operations.Operations.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here. It runs
-- after the versioned migrations and re-runs when it changes, so it stays re-runnable (CREATE OR REPLACE). The
-- privileges of these functions are set right after each of them: a versioned migration cannot grant on a function
-- that the repeatable migrations have not created yet (a fresh database runs every V* first).
--
-- Visibility: every function runs with the caller's rights (honua_health() reads flyway_schema_history, on which V15
-- grants SELECT to honua_app and honua_worker). PostgreSQL shows the state, query and
-- timings of another role's session (pg_stat_activity) only to members of that role or of pg_read_all_stats; the
-- statistics views (pg_stat_user_tables, pg_stat_user_indexes) and sizes are readable by every role that may connect.

CREATE OR REPLACE FUNCTION public.honua_health()
 RETURNS TABLE(server_version text, server_version_num integer, schema_version text, failed_migrations integer,
               in_recovery boolean)
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT pg_catalog.current_setting('server_version'),
           pg_catalog.current_setting('server_version_num')::integer,
           (SELECT h.version
              FROM public.flyway_schema_history h
             WHERE h.success AND h.version IS NOT NULL
             ORDER BY pg_catalog.string_to_array(h.version, '.')::numeric[] DESC
             LIMIT 1),
           (SELECT pg_catalog.count(*)::integer FROM public.flyway_schema_history h WHERE NOT h.success),
           pg_catalog.pg_is_in_recovery();
$function$;
COMMENT ON FUNCTION public.honua_health() IS 'Readiness facts in one row: server version, newest successfully applied versioned migration (flyway_schema_history), number of failed migrations, whether the server is a standby. Caller''s rights.';
REVOKE EXECUTE ON FUNCTION public.honua_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.honua_health() TO honua_app, honua_worker;

CREATE OR REPLACE FUNCTION public.honua_database_size()
 RETURNS bigint
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT pg_catalog.pg_database_size(pg_catalog.current_database());
$function$;
COMMENT ON FUNCTION public.honua_database_size() IS 'Size of the current database in bytes (pg_database_size).';
REVOKE EXECUTE ON FUNCTION public.honua_database_size() FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_database_size() TO honua_worker;

-- Tables, partitions and materialized views of the user schemas. A partitioned table's sizes are the sums over all
-- the partitions below it (pg_partition_tree); a partition is listed itself too, with its parent.
CREATE OR REPLACE FUNCTION public.honua_relation_sizes()
 RETURNS TABLE(schema_name text, relation_name text, kind text, parent_name text, partitions integer,
               table_bytes bigint, index_bytes bigint, total_bytes bigint)
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT n.nspname::text,
           c.relname::text,
           CASE WHEN c.relkind = 'p' THEN 'partitioned table'
                WHEN c.relkind = 'm' THEN 'materialized view'
                WHEN c.relispartition THEN 'partition'
                ELSE 'table' END,
           (SELECT i.inhparent::pg_catalog.regclass::text FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1),
           s.parts,
           s.table_bytes,
           s.index_bytes,
           s.total_bytes
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL (
            SELECT (pg_catalog.count(*) FILTER (WHERE t.relid <> c.oid))::integer AS parts,
                   pg_catalog.sum(pg_catalog.pg_table_size(t.relid))::bigint AS table_bytes,
                   pg_catalog.sum(pg_catalog.pg_indexes_size(t.relid))::bigint AS index_bytes,
                   pg_catalog.sum(pg_catalog.pg_total_relation_size(t.relid))::bigint AS total_bytes
              FROM (SELECT c.oid AS relid
                    UNION
                    SELECT pt.relid FROM pg_catalog.pg_partition_tree(c.oid) pt WHERE pt.isleaf) t) s
     WHERE c.relkind IN ('r', 'p', 'm')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp%'
     ORDER BY s.total_bytes DESC, 1, 2;
$function$;
COMMENT ON FUNCTION public.honua_relation_sizes() IS 'Size of every table, partition and materialized view of the user schemas (table incl. TOAST, indexes, total, bytes); partitioned tables carry the sums over their partitions. Largest first.';
REVOKE EXECUTE ON FUNCTION public.honua_relation_sizes() FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_relation_sizes() TO honua_worker;

-- Indexes with their size and scan count; a partitioned index carries the sums over the indexes of its partitions.
CREATE OR REPLACE FUNCTION public.honua_index_sizes()
 RETURNS TABLE(schema_name text, table_name text, index_name text, is_partitioned boolean, is_partition boolean,
               is_unique boolean, is_primary boolean, backs_constraint boolean, index_bytes bigint, scans bigint)
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT n.nspname::text,
           t.relname::text,
           c.relname::text,
           c.relkind = 'I',
           c.relispartition,
           x.indisunique,
           x.indisprimary,
           EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x')),
           s.index_bytes,
           s.scans
      FROM pg_catalog.pg_index x
      JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid
      JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL (
            SELECT pg_catalog.sum(pg_catalog.pg_relation_size(p.relid))::bigint AS index_bytes,
                   coalesce(pg_catalog.sum(st.idx_scan), 0)::bigint AS scans
              FROM (SELECT c.oid AS relid
                    UNION
                    SELECT pt.relid FROM pg_catalog.pg_partition_tree(c.oid) pt WHERE pt.isleaf) p
              LEFT JOIN pg_catalog.pg_stat_user_indexes st ON st.indexrelid = p.relid) s
     WHERE c.relkind IN ('i', 'I')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp%'
     ORDER BY s.index_bytes DESC, 1, 3;
$function$;
COMMENT ON FUNCTION public.honua_index_sizes() IS 'Every index of the user schemas: size in bytes and scans since the statistics were reset; partitioned indexes carry the sums over their partitions'' indexes. Largest first.';
REVOKE EXECUTE ON FUNCTION public.honua_index_sizes() FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_index_sizes() TO honua_worker;

-- Dead tuples, vacuum and analyze per table (each partition is its own table here), with a bloat estimate:
-- estimated_bloat_bytes = table size * n_dead_tup / (n_live_tup + n_dead_tup), i.e. the share of the heap that dead
-- row versions occupy according to the statistics collector. It ignores free space already reclaimed by VACUUM but not
-- returned to the OS, and the counts are estimates themselves: a trend indicator, not a measurement (pgstattuple is).
CREATE OR REPLACE FUNCTION public.honua_table_maintenance()
 RETURNS TABLE(schema_name text, table_name text, parent_name text, live_tuples bigint, dead_tuples bigint,
               modified_since_analyze bigint, table_bytes bigint, estimated_bloat_bytes bigint,
               last_vacuum timestamp with time zone, last_autovacuum timestamp with time zone,
               last_analyze timestamp with time zone, last_autoanalyze timestamp with time zone,
               vacuum_count bigint, autovacuum_count bigint, analyze_count bigint, autoanalyze_count bigint)
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT s.schemaname::text,
           s.relname::text,
           (SELECT i.inhparent::pg_catalog.regclass::text FROM pg_catalog.pg_inherits i WHERE i.inhrelid = s.relid LIMIT 1),
           s.n_live_tup,
           s.n_dead_tup,
           s.n_mod_since_analyze,
           pg_catalog.pg_table_size(s.relid),
           CASE WHEN s.n_live_tup + s.n_dead_tup = 0 THEN 0
                ELSE (pg_catalog.pg_table_size(s.relid)::numeric * s.n_dead_tup / (s.n_live_tup + s.n_dead_tup))::bigint END,
           s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
           s.vacuum_count, s.autovacuum_count, s.analyze_count, s.autoanalyze_count
      FROM pg_catalog.pg_stat_user_tables s
      JOIN pg_catalog.pg_class c ON c.oid = s.relid
     WHERE c.relkind IN ('r', 'm')
     ORDER BY s.n_dead_tup DESC, 1, 2;
$function$;
COMMENT ON FUNCTION public.honua_table_maintenance() IS 'pg_stat_user_tables review: live and dead tuples, rows modified since analyze, last (auto)vacuum/(auto)analyze and their counts, and a bloat estimate (table size * dead / (live + dead)). Most dead tuples first.';
REVOKE EXECUTE ON FUNCTION public.honua_table_maintenance() FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_table_maintenance() TO honua_worker;

-- Client sessions (of any database of the server, the caller's own excluded) whose open transaction is at least
-- p_min_transaction_age old: long-running statements and idle-in-transaction sessions. Sessions whose details the
-- caller may not see (another role's, caller not in pg_read_all_stats) have no transaction start and are not returned.
CREATE OR REPLACE FUNCTION public.honua_sessions(p_min_transaction_age interval)
 RETURNS TABLE(pid integer, database_name text, role_name text, application_name text, client_address text,
               state text, backend_start timestamp with time zone, transaction_start timestamp with time zone,
               query_start timestamp with time zone, state_change timestamp with time zone,
               transaction_age interval, state_age interval, wait_event_type text, wait_event text,
               xmin_age bigint, query text)
 LANGUAGE sql
 VOLATILE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT a.pid,
           a.datname::text,
           a.usename::text,
           a.application_name,
           pg_catalog.host(a.client_addr),
           a.state,
           a.backend_start,
           a.xact_start,
           a.query_start,
           a.state_change,
           pg_catalog.clock_timestamp() - a.xact_start,
           pg_catalog.clock_timestamp() - a.state_change,
           a.wait_event_type,
           a.wait_event,
           pg_catalog.age(a.backend_xmin)::bigint,
           pg_catalog.left(a.query, 2000)
      FROM pg_catalog.pg_stat_activity a
     WHERE a.backend_type = 'client backend'
       AND a.pid <> pg_catalog.pg_backend_pid()
       AND a.xact_start <= pg_catalog.clock_timestamp() - p_min_transaction_age
     ORDER BY a.xact_start, a.pid;
$function$;
COMMENT ON FUNCTION public.honua_sessions(interval) IS 'Client sessions whose transaction is open for at least the given age (long-running statements, idle in transaction), oldest first, with their xmin age. Only sessions the caller may see in pg_stat_activity (its own roles'', or all with pg_read_all_stats).';
REVOKE EXECUTE ON FUNCTION public.honua_sessions(interval) FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_sessions(interval) TO honua_worker;

-- What holds back the xmin horizon (VACUUM cannot remove row versions younger than it): the oldest backend xmin (shown
-- for every session, whoever the caller), the oldest prepared transaction, the oldest replication slot, and the age of
-- the database's datfrozenxid (transaction ID wraparound distance).
CREATE OR REPLACE FUNCTION public.honua_xmin_horizon()
 RETURNS TABLE(oldest_session_xmin_age bigint, oldest_session_pid integer, oldest_prepared_xact_age bigint,
               oldest_replication_slot_xmin_age bigint, database_frozen_xid_age bigint)
 LANGUAGE sql
 VOLATILE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT b.age, b.pid,
           (SELECT pg_catalog.max(pg_catalog.age(p.transaction))::bigint FROM pg_catalog.pg_prepared_xacts p),
           (SELECT pg_catalog.max(greatest(pg_catalog.age(r.xmin), pg_catalog.age(r.catalog_xmin)))::bigint
              FROM pg_catalog.pg_replication_slots r),
           (SELECT pg_catalog.age(d.datfrozenxid)::bigint FROM pg_catalog.pg_database d
             WHERE d.datname = pg_catalog.current_database())
      FROM (SELECT NULL::bigint AS age, NULL::integer AS pid) dummy
      LEFT JOIN LATERAL (SELECT pg_catalog.age(a.backend_xmin)::bigint AS age, a.pid
                           FROM pg_catalog.pg_stat_activity a
                          WHERE a.backend_xmin IS NOT NULL AND a.pid <> pg_catalog.pg_backend_pid()
                          ORDER BY pg_catalog.age(a.backend_xmin) DESC
                          LIMIT 1) b ON true;
$function$;
COMMENT ON FUNCTION public.honua_xmin_horizon() IS 'One row: age (in transactions) of the oldest backend xmin other than the caller''s and its pid, of the oldest prepared transaction, of the oldest replication slot xmin, and of the database''s datfrozenxid. NULL when there is none.';
REVOKE EXECUTE ON FUNCTION public.honua_xmin_horizon() FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_xmin_horizon() TO honua_worker;

-- Indexes never scanned since the statistics were reset that enforce nothing (not unique, not primary key, back no
-- constraint), of tables that are not partitions (a partitioned index carries the scans of its partitions' indexes).
CREATE OR REPLACE FUNCTION public.honua_unused_indexes()
 RETURNS TABLE(schema_name text, table_name text, index_name text, index_bytes bigint, definition text)
 LANGUAGE sql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT s.schema_name, s.table_name, s.index_name, s.index_bytes,
           pg_catalog.pg_get_indexdef(pg_catalog.to_regclass(pg_catalog.quote_ident(s.schema_name) || '.' || pg_catalog.quote_ident(s.index_name)))
      FROM public.honua_index_sizes() s
     WHERE s.scans = 0 AND NOT s.is_unique AND NOT s.is_primary AND NOT s.backs_constraint AND NOT s.is_partition
     ORDER BY s.index_bytes DESC, 1, 3;
$function$;
COMMENT ON FUNCTION public.honua_unused_indexes() IS 'Indexes with no scan since the statistics were reset (pg_stat_database.stats_reset) that enforce nothing: candidates for removal, largest first.';
REVOKE EXECUTE ON FUNCTION public.honua_unused_indexes() FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_unused_indexes() TO honua_worker;

-- Client connections of the whole server by state, with the limits. Sessions whose details the caller may not see
-- (another role's, caller not in pg_read_all_stats) hide their type and state: they are counted as 'unknown' (this
-- bucket may include a few background workers, which are indistinguishable then).
CREATE OR REPLACE FUNCTION public.honua_connection_usage()
 RETURNS TABLE(state text, connections integer, max_connections integer, reserved_connections integer)
 LANGUAGE sql
 VOLATILE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
    SELECT coalesce(a.state, CASE WHEN a.backend_type IS NULL THEN 'unknown' ELSE 'no state' END),
           pg_catalog.count(*)::integer,
           pg_catalog.current_setting('max_connections')::integer,
           pg_catalog.current_setting('superuser_reserved_connections')::integer
             + coalesce(pg_catalog.current_setting('reserved_connections', true)::integer, 0)
      FROM pg_catalog.pg_stat_activity a
     WHERE a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL)
     GROUP BY 1
     ORDER BY 1;
$function$;
COMMENT ON FUNCTION public.honua_connection_usage() IS 'Client connections of the server by state (active, idle, idle in transaction, ...; unknown = another role''s session the caller may not inspect), with max_connections and the reserved slots.';
REVOKE EXECUTE ON FUNCTION public.honua_connection_usage() FROM PUBLIC, honua_app;
GRANT EXECUTE ON FUNCTION public.honua_connection_usage() TO honua_worker;
