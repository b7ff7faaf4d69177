-- The dependency graph of a build (seed 003's DAG views): every transitive dependency or dependent, in topological
-- order. Read by io.honua.db.queue.BuildDependencies. Edges are build_dependencies (V6): build_id may run only after
-- depends_on_build_id completed.
--
-- Repeatable migration: the current body of every function of this capability lives here and only here (CREATE OR
-- REPLACE, re-runnable); the privileges follow the function (a versioned migration cannot grant on a function that
-- does not exist yet on a fresh database). Caller's rights: row-level security applies to builds and edges.

-- p_direction 'dependencies': what the build needs, transitively; 'dependents': what needs it, transitively.
-- depth = length of the longest path from the root (root: 0) within p_max_depth. Every node X is listed after
-- every node it needs (dependencies: depth descending; dependents: depth ascending), so the order is topological.
-- The walk remembers (build, depth) pairs (UNION), so it ends on any graph, a cyclic one too (cycles are refused on
-- insert, HQ001), after at most p_max_depth + 1 steps; nodes first reached beyond p_max_depth come back with depth
-- p_max_depth + 1 (after all others), which tells the caller that the graph was cut. At most p_limit rows, the root
-- (depth 0) first; an empty result means an unknown (or invisible) build.
CREATE OR REPLACE FUNCTION public.build_dependency_graph(p_build_id uuid, p_direction text, p_max_depth integer,
                                                         p_limit integer)
 RETURNS TABLE(build_id uuid, depth integer, status text, customer_id text)
 LANGUAGE plpgsql
 STABLE
 SET search_path = pg_catalog, public, pg_temp
AS $function$
BEGIN
    IF p_build_id IS NULL OR p_direction IS NULL OR p_direction NOT IN ('dependencies', 'dependents')
       OR p_max_depth IS NULL OR p_max_depth < 1 OR p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'dependency graph needs a build id, direction dependencies|dependents, max depth >= 1, limit >= 1'
            USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.build_queue q WHERE q.id = p_build_id) THEN
        RETURN;
    END IF;
    IF p_direction = 'dependencies' THEN
        RETURN QUERY
            WITH RECURSIVE walk(id, d) AS (
                SELECT p_build_id, 0
                UNION
                SELECT e.depends_on_build_id, w.d + 1
                  FROM walk w
                  JOIN public.build_dependencies e ON e.build_id = w.id
                 WHERE w.d <= p_max_depth AND e.depends_on_build_id <> p_build_id
            )
            SELECT w.id, pg_catalog.max(w.d)::integer, q.status, q.customer_id
              FROM walk w
              JOIN public.build_queue q ON q.id = w.id
             GROUP BY w.id, q.status, q.customer_id
             ORDER BY CASE WHEN pg_catalog.max(w.d) = 0 THEN 0 WHEN pg_catalog.max(w.d) > p_max_depth THEN 2 ELSE 1 END,
                      2 DESC, 1
             LIMIT p_limit;
    ELSE
        RETURN QUERY
            WITH RECURSIVE walk(id, d) AS (
                SELECT p_build_id, 0
                UNION
                SELECT e.build_id, w.d + 1
                  FROM walk w
                  JOIN public.build_dependencies e ON e.depends_on_build_id = w.id
                 WHERE w.d <= p_max_depth AND e.build_id <> p_build_id
            )
            SELECT w.id, pg_catalog.max(w.d)::integer, q.status, q.customer_id
              FROM walk w
              JOIN public.build_queue q ON q.id = w.id
             GROUP BY w.id, q.status, q.customer_id
             ORDER BY 2, 1
             LIMIT p_limit;
    END IF;
END $function$;
COMMENT ON FUNCTION public.build_dependency_graph(uuid, text, integer, integer) IS 'Transitive dependencies or dependents of a build with their longest-path depth (root 0) and status, in topological order (a build after everything it needs), root first, at most p_limit rows; depth p_max_depth + 1 marks a cut. Caller''s rights.';
REVOKE EXECUTE ON FUNCTION public.build_dependency_graph(uuid, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.build_dependency_graph(uuid, text, integer, integer) TO honua_app, honua_worker;
