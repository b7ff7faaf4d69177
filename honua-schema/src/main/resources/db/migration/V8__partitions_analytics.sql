-- =====================================================================================================================
-- V8: partition upkeep (table-driven), the daily cache-access rollup, get_cache_hit_rate on the rollup.
--
-- Partitions are named <table>_yYYYYmMM (monthly) or <table>_yYYYYmMMdDD (daily); bounds are UTC period starts.
-- The build's jOOQ code generation excludes these names (and *_default), so the generated code never depends on
-- which partitions happen to exist.
-- =====================================================================================================================

-- ---------------------------------------------------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE partition_policies (
    table_name         TEXT PRIMARY KEY
                       CONSTRAINT chk_partition_policies_table CHECK (table_name ~ '^[a-z_][a-z0-9_]{0,40}$'),
    partition_interval TEXT NOT NULL
                       CONSTRAINT chk_partition_policies_interval CHECK (partition_interval IN ('day', 'month')),
    premake            INTEGER NOT NULL DEFAULT 2
                       CONSTRAINT chk_partition_policies_premake CHECK (premake BETWEEN 0 AND 400),
    retention          INTERVAL
                       CONSTRAINT chk_partition_policies_retention CHECK (retention IS NULL OR retention > interval '0'),
    retention_action   TEXT NOT NULL DEFAULT 'drop'
                       CONSTRAINT chk_partition_policies_action CHECK (retention_action IN ('drop', 'detach')),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE partition_policies IS
    'One row per RANGE-partitioned table maintain_partitions() looks after: period (day/month, UTC), how many periods '
    'ahead to create (premake), retention (NULL: keep forever) and what happens to a partition entirely older than it '
    '(drop, or detach: the table stays as a standalone archive with the same name).';
CREATE TRIGGER trg_partition_policies_updated_at BEFORE UPDATE ON partition_policies
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

INSERT INTO partition_policies (table_name, partition_interval, premake, retention, retention_action) VALUES
    ('build_access_log',      'month', 2, interval '90 days',  'drop'),   -- seed: access logs kept 90 days
    ('build_events',          'month', 2, interval '12 months', 'drop'),
    ('build_metrics',         'day',   7, interval '30 days',  'drop'),
    ('conversation_messages', 'month', 2, NULL,                'drop');   -- kept until the intake policy says otherwise

-- ---------------------------------------------------------------------------------------------------------------------
-- Partition listing
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION list_partitions(p_table_name TEXT)
    RETURNS TABLE (partition_name TEXT, range_start TIMESTAMPTZ, range_end TIMESTAMPTZ, is_default BOOLEAN,
                   estimated_rows BIGINT)
    LANGUAGE sql STABLE AS $$
    SELECT c.relname::text,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'FROM \(''([^'']+)''\)')::timestamptz,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz,
           pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT',
           greatest(c.reltuples, 0)::bigint
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = to_regclass(format('public.%I', p_table_name))
     ORDER BY 4, 2;
$$;
COMMENT ON FUNCTION list_partitions(TEXT) IS
    'Partitions of a RANGE-partitioned table: name, bounds (NULL for DEFAULT), planner row estimate. Range partitions '
    'ordered by start, the DEFAULT partition last.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Maintenance
-- ---------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION maintain_partitions(p_now TIMESTAMPTZ DEFAULT now())
    RETURNS TABLE (table_name TEXT, action TEXT, partition_name TEXT, range_start TIMESTAMPTZ, range_end TIMESTAMPTZ,
                   rows_moved BIGINT)
    LANGUAGE plpgsql
    SET TimeZone = 'UTC'   -- period arithmetic ('1 month', '1 day') and bound literals in UTC, whatever the session says
    AS $$
#variable_conflict use_column
DECLARE
    p          partition_policies%ROWTYPE;
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
BEGIN
    -- One maintenance run at a time, whoever calls it (scheduler, API, psql); released at commit.
    PERFORM pg_advisory_xact_lock(hashtext('honua'), hashtext('maintain_partitions'));

    FOR p IN SELECT * FROM partition_policies ORDER BY partition_policies.table_name LOOP
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
               OR (v_cutoff IS NOT NULL AND EXISTS (SELECT 1 FROM list_partitions(p.table_name) l
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
            EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                           v_name, v_parent);
            v_rows := 0;
            IF v_default IS NOT NULL THEN
                EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_default);
                EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= $1 AND %I < $2 RETURNING %s) '
                               || 'INSERT INTO %I (%s) SELECT %s FROM moved',
                               v_default, v_col, v_col, v_cols, v_name, v_cols, v_cols)
                   USING v_start, v_end;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
            END IF;
            EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           v_parent, v_name, v_start, v_end);
            table_name := p.table_name; action := 'created'; partition_name := v_name;
            range_start := v_start; range_end := v_end; rows_moved := v_rows;
            RETURN NEXT;
        END LOOP;

        -- Retention: whole partitions whose range ended at or before now - retention. DEFAULT is never dropped.
        IF v_cutoff IS NOT NULL THEN
            FOR v_part IN SELECT * FROM list_partitions(p.table_name) l
                           WHERE NOT l.is_default AND l.range_end <= v_cutoff ORDER BY l.range_start LOOP
                IF p.retention_action = 'detach' THEN
                    EXECUTE format('ALTER TABLE %s DETACH PARTITION %I', v_parent, v_part.partition_name);
                    action := 'detached';
                ELSE
                    EXECUTE format('DROP TABLE %I', v_part.partition_name);
                    action := 'dropped';
                END IF;
                table_name := p.table_name; partition_name := v_part.partition_name;
                range_start := v_part.range_start; range_end := v_part.range_end; rows_moved := 0;
                RETURN NEXT;
            END LOOP;
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION maintain_partitions(TIMESTAMPTZ) IS
    'Partition upkeep for every row of partition_policies: creates the current and the next premake partitions, moves '
    'stray rows out of DEFAULT into their (new) partitions, and drops (or detaches) partitions past retention. '
    'Returns one row per action. Serialised by a transaction-level advisory lock: safe to call concurrently.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Daily cache-access rollup
-- ---------------------------------------------------------------------------------------------------------------------
CREATE TABLE cache_access_daily (
    customer_id     TEXT NOT NULL,
    day             DATE NOT NULL,
    hits            BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_cache_access_daily_hits CHECK (hits >= 0),
    misses          BIGINT NOT NULL DEFAULT 0 CONSTRAINT chk_cache_access_daily_misses CHECK (misses >= 0),
    first_access_at TIMESTAMPTZ NOT NULL,
    last_access_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, day)
);
COMMENT ON TABLE cache_access_daily IS
    'Hits and misses per customer and UTC day, maintained by a statement trigger on every INSERT into build_access_log. '
    'Outlives the raw log: retention drops log partitions, never rollup rows.';
CREATE INDEX idx_cache_access_daily_day ON cache_access_daily (day);
COMMENT ON INDEX idx_cache_access_daily_day IS 'Hit rate of all customers over a period.';

CREATE FUNCTION rollup_cache_access() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    -- ordered, so concurrent statements lock rollup rows in the same order (no deadlock between two inserts)
    INSERT INTO cache_access_daily AS d (customer_id, day, hits, misses, first_access_at, last_access_at)
    SELECT n.customer_id, (n.accessed_at AT TIME ZONE 'UTC')::date,
           count(*) FILTER (WHERE n.access_type = 'hit'), count(*) FILTER (WHERE n.access_type = 'miss'),
           min(n.accessed_at), max(n.accessed_at)
      FROM new_rows n
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (customer_id, day) DO UPDATE
       SET hits            = d.hits + EXCLUDED.hits,
           misses          = d.misses + EXCLUDED.misses,
           first_access_at = least(d.first_access_at, EXCLUDED.first_access_at),
           last_access_at  = greatest(d.last_access_at, EXCLUDED.last_access_at);
    RETURN NULL;
END $$;
COMMENT ON FUNCTION rollup_cache_access() IS
    'Statement trigger: adds the hits and misses of the inserted access-log rows to cache_access_daily in one upsert.';

-- Trigger first, back-fill second: CREATE TRIGGER holds a SHARE ROW EXCLUSIVE lock on build_access_log until this
-- migration commits, so no row is inserted between the two and none is counted twice.
CREATE TRIGGER trg_build_access_log_rollup AFTER INSERT ON build_access_log
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_cache_access();

INSERT INTO cache_access_daily (customer_id, day, hits, misses, first_access_at, last_access_at)
SELECT l.customer_id, (l.accessed_at AT TIME ZONE 'UTC')::date,
       count(*) FILTER (WHERE l.access_type = 'hit'), count(*) FILTER (WHERE l.access_type = 'miss'),
       min(l.accessed_at), max(l.accessed_at)
  FROM build_access_log l
 GROUP BY 1, 2;

-- Same name, signature and result columns as V5; reads the rollup. The period is now whole UTC days: today and the
-- p_days - 1 days before it (V5 counted the last p_days * 24 hours of raw rows).
CREATE OR REPLACE FUNCTION get_cache_hit_rate(p_customer_id TEXT DEFAULT NULL, p_days INTEGER DEFAULT 7)
    RETURNS TABLE (customer_id TEXT, total_accesses BIGINT, hits BIGINT, misses BIGINT, hit_rate NUMERIC)
    LANGUAGE sql STABLE AS $$
    SELECT d.customer_id,
           sum(d.hits + d.misses)::bigint                                          AS total_accesses,
           sum(d.hits)::bigint                                                     AS hits,
           sum(d.misses)::bigint                                                   AS misses,
           round(sum(d.hits)::numeric / nullif(sum(d.hits + d.misses), 0), 4)      AS hit_rate
      FROM cache_access_daily d
     WHERE (p_customer_id IS NULL OR d.customer_id = p_customer_id)
       AND d.day > (now() AT TIME ZONE 'UTC')::date - p_days
     GROUP BY d.customer_id
    HAVING sum(d.hits + d.misses) > 0
     ORDER BY d.customer_id;
$$;
COMMENT ON FUNCTION get_cache_hit_rate(TEXT, INTEGER) IS
    'Cache hit rate per customer over the last p_days UTC days including today (NULL customer: all), from the '
    'cache_access_daily rollup: cost independent of the access-log size.';

-- ---------------------------------------------------------------------------------------------------------------------
-- Daily build performance for a range of days, index-friendly
-- ---------------------------------------------------------------------------------------------------------------------
-- build_performance_summary (V5) groups the whole finished history and its day column is not sargable, so a filter on
-- it still reads every finished build. This function computes the same columns for p_from..p_to (inclusive, UTC days)
-- with a range on completed_at that idx_build_queue_finished serves: cost grows with the range, not the history.
CREATE FUNCTION get_build_performance(p_from DATE, p_to DATE)
    RETURNS TABLE (day DATE, total_builds BIGINT, succeeded BIGINT, failed BIGINT, avg_duration_ms BIGINT,
                   p95_duration_ms DOUBLE PRECISION, avg_cpu_seconds NUMERIC, max_peak_memory_bytes BIGINT)
    LANGUAGE sql STABLE AS $$
    SELECT (q.completed_at AT TIME ZONE 'UTC')::date                      AS day,
           count(*)                                                       AS total_builds,
           count(*) FILTER (WHERE q.status = 'completed')                 AS succeeded,
           count(*) FILTER (WHERE q.status IN ('failed', 'timeout'))      AS failed,
           round(avg(r.duration_ms))::bigint                              AS avg_duration_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_ms)    AS p95_duration_ms,
           round(avg(r.cpu_seconds), 3)                                   AS avg_cpu_seconds,
           max(r.peak_memory_bytes)                                       AS max_peak_memory_bytes
      FROM build_queue q
      LEFT JOIN build_results r ON r.build_id = q.id
     WHERE q.status IN ('completed', 'failed', 'timeout')
       AND q.completed_at >= p_from::timestamp AT TIME ZONE 'UTC'
       AND q.completed_at < (p_to + 1)::timestamp AT TIME ZONE 'UTC'
     GROUP BY 1
     ORDER BY 1;
$$;
COMMENT ON FUNCTION get_build_performance(DATE, DATE) IS
    'Daily build performance (the columns of build_performance_summary) for the UTC days p_from..p_to, read through '
    'idx_build_queue_finished: cost proportional to the builds in the range.';
