-- Partition upkeep of the log tables (partition_policies).
--
-- Repeatable migration: the current body of every function of this capability lives here and only here.
-- Flyway re-runs this file after the versioned migrations whenever it changes, so it must stay re-runnable
-- (CREATE OR REPLACE; a changed signature is dropped by a versioned migration first). Grants are in the versioned
-- migrations.

CREATE OR REPLACE FUNCTION public.list_partitions(p_table_name text)
 RETURNS TABLE(partition_name text, range_start timestamp with time zone, range_end timestamp with time zone, is_default boolean, estimated_rows bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
    SELECT c.relname::text,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([^'']+)''\)')::timestamptz,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz,
           pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT',
           greatest(c.reltuples, 0)::bigint
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass(format('public.%I', p_table_name))
     ORDER BY 4, 2;
$function$;
COMMENT ON FUNCTION public.list_partitions(text) IS 'Partitions of a RANGE-partitioned table: name, bounds (NULL for DEFAULT), planner row estimate. Range partitions ordered by start, the DEFAULT partition last.';

CREATE OR REPLACE FUNCTION public.maintain_partitions(p_now timestamp with time zone DEFAULT now())
 RETURNS TABLE(table_name text, action text, partition_name text, range_start timestamp with time zone, range_end timestamp with time zone, rows_moved bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
BEGIN
    RETURN QUERY SELECT * FROM public.maintain_partitions_unsecured(p_now);
    PERFORM public.honua_secure_new_partitions();
END $function$;
COMMENT ON FUNCTION public.maintain_partitions(timestamp with time zone) IS 'Partition upkeep by partition_policies (create ahead, move strays out of the default partition, drop past retention), one run at a time; new partitions are secured like the others. For the service role (honua_worker).';

CREATE OR REPLACE FUNCTION public.maintain_partitions_unsecured(p_now timestamp with time zone DEFAULT now())
 RETURNS TABLE(table_name text, action text, partition_name text, range_start timestamp with time zone, range_end timestamp with time zone, rows_moved bigint)
 LANGUAGE plpgsql
 SET "TimeZone" TO 'UTC'
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
    p          public.partition_policies%ROWTYPE;
    v_parent   regclass;
    v_default  regclass;
    v_col      TEXT;
    v_cols     TEXT;
    v_step     INTERVAL;
    v_fmt      TEXT;
    v_start    TIMESTAMPTZ;
    v_end      TIMESTAMPTZ;
    v_name     TEXT;
    v_rows     BIGINT;
    v_cutoff   TIMESTAMPTZ;
    v_needed   TIMESTAMPTZ[];
    v_work     BOOLEAN;
    v_part     RECORD;
    v_options  TEXT;
BEGIN
    -- One maintenance run at a time, whoever calls it (scheduler, API, psql): the lock row of this job, which only
    -- the owner and the service role can reach (not an advisory key any role could hold); released at commit.
    INSERT INTO public.honua_locks (scope, key) VALUES ('maintenance', 'maintain_partitions') ON CONFLICT DO NOTHING;
    PERFORM 1 FROM public.honua_locks l WHERE l.scope = 'maintenance' AND l.key = 'maintain_partitions' FOR UPDATE;

    FOR p IN SELECT * FROM public.partition_policies ORDER BY partition_policies.table_name LOOP
        v_parent := to_regclass(format('public.%I', p.table_name));
        SELECT a.attname, nullif(pt.partdefid, 0)::regclass
          INTO v_col, v_default
          FROM pg_partitioned_table pt
          JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
         WHERE pt.partrelid = v_parent AND pt.partstrat = 'r' AND pt.partnatts = 1;
        IF v_parent IS NULL OR v_col IS NULL THEN
            RAISE EXCEPTION 'partition policy for %: not a RANGE-partitioned table of one column', p.table_name
                USING ERRCODE = '22023';
        END IF;
        v_step := CASE p.partition_interval WHEN 'day' THEN interval '1 day' ELSE interval '1 month' END;
        v_fmt  := CASE p.partition_interval WHEN 'day' THEN '"y"YYYY"m"MM"d"DD' ELSE '"y"YYYY"m"MM' END;
        v_cutoff := p_now - p.retention;   -- NULL when kept forever

        -- Periods that must exist: the current one, premake ahead, and every period a stray row in DEFAULT belongs to.
        SELECT array_agg(DISTINCT s ORDER BY s)
          INTO v_needed
          FROM generate_series(date_trunc(p.partition_interval, p_now, 'UTC'),
                               date_trunc(p.partition_interval, p_now, 'UTC') + p.premake * v_step, v_step) AS s;
        IF v_default IS NOT NULL THEN
            EXECUTE format('SELECT array_agg(DISTINCT s ORDER BY s) FROM (SELECT unnest($1) AS s UNION '
                           || 'SELECT DISTINCT date_trunc(%L, %I, ''UTC'') FROM %s) x',
                           p.partition_interval, v_col, v_default)
               INTO v_needed USING v_needed;
        END IF;

        -- Anything to do? (checked without locks; the work itself runs under the table lock)
        v_work := EXISTS (SELECT 1 FROM unnest(v_needed) AS s
                           WHERE to_regclass(format('public.%I', p.table_name || '_' || to_char(s AT TIME ZONE 'UTC', v_fmt))) IS NULL)
               OR (v_cutoff IS NOT NULL AND EXISTS (SELECT 1 FROM public.list_partitions(p.table_name) l
                                                     WHERE NOT l.is_default AND l.range_end <= v_cutoff));
        CONTINUE WHEN NOT v_work;

        -- SHARE ROW EXCLUSIVE: waits for running writers, blocks new writers (not readers) until commit, so no row
        -- can land in DEFAULT between moving strays out and attaching their partition, and lock order is parent first.
        EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_parent);
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
          INTO v_cols
          FROM pg_attribute a
         WHERE a.attrelid = v_parent AND a.attnum > 0 AND NOT a.attisdropped;

        FOREACH v_start IN ARRAY v_needed LOOP
            v_end  := v_start + v_step;
            v_name := p.table_name || '_' || to_char(v_start AT TIME ZONE 'UTC', v_fmt);
            CONTINUE WHEN to_regclass(format('public.%I', v_name)) IS NOT NULL;
            -- PostgreSQL refuses to create/attach a partition while DEFAULT holds rows of its range. So: build the
            -- table standalone, move the strays into it (no triggers fire: the move is invisible to rollups and
            -- counters), then attach it; ATTACH adds the indexes, FKs and row triggers of the parent.
            EXECUTE format('CREATE TABLE public.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                           v_name, v_parent);
            -- the seed's autovacuum settings: a new partition takes the storage parameters of the DEFAULT partition
            SELECT string_agg(format('%I = %L', o.option_name, o.option_value), ', ')
              INTO v_options
              FROM pg_catalog.pg_class d, pg_catalog.pg_options_to_table(d.reloptions) o
             WHERE d.oid = v_default;
            IF v_options IS NOT NULL THEN
                EXECUTE format('ALTER TABLE public.%I SET (%s)', v_name, v_options);
            END IF;
            v_rows := 0;
            IF v_default IS NOT NULL THEN
                EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_default);
                EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= $1 AND %I < $2 RETURNING %s) '
                               || 'INSERT INTO public.%I (%s) SELECT %s FROM moved',
                               v_default, v_col, v_col, v_cols, v_name, v_cols, v_cols)
                   USING v_start, v_end;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
            END IF;
            EXECUTE format('ALTER TABLE %s ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)',
                           v_parent, v_name, v_start, v_end);
            table_name := p.table_name; action := 'created'; partition_name := v_name;
            range_start := v_start; range_end := v_end; rows_moved := v_rows;
            RETURN NEXT;
        END LOOP;

        -- Retention: whole partitions whose range ended at or before now - retention. DEFAULT is never dropped.
        IF v_cutoff IS NOT NULL THEN
            FOR v_part IN SELECT * FROM public.list_partitions(p.table_name) l
                           WHERE NOT l.is_default AND l.range_end <= v_cutoff ORDER BY l.range_start LOOP
                IF p.retention_action = 'detach' THEN
                    EXECUTE format('ALTER TABLE %s DETACH PARTITION public.%I', v_parent, v_part.partition_name);
                    action := 'detached';
                ELSE
                    EXECUTE format('DROP TABLE public.%I', v_part.partition_name);
                    action := 'dropped';
                END IF;
                table_name := p.table_name; partition_name := v_part.partition_name;
                range_start := v_part.range_start; range_end := v_part.range_end; rows_moved := 0;
                RETURN NEXT;
            END LOOP;
        END IF;
    END LOOP;
END $function$;
COMMENT ON FUNCTION public.maintain_partitions_unsecured(timestamp with time zone) IS 'Partition upkeep for every row of partition_policies: creates the current and the next premake partitions, moves stray rows out of DEFAULT into their (new) partitions, and drops (or detaches) partitions past retention. Returns one row per action. Serialised by the lock row (maintenance, maintain_partitions): safe to call concurrently.';
