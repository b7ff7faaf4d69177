package io.honua.db.queue;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.BUILD_DEPENDENCY_GRAPH;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Capability;
import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.ErrorTranslator;
import io.honua.db.queue.DependencyGraph.Direction;
import io.honua.db.schema.generated.tables.records.BuildDependencyGraphRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Result;
import org.jooq.exception.DataAccessException;

/**
 * The whole dependency graph around a build (seed 003's DAG views): all transitive dependencies or dependents, in
 * topological order, with their depth and status, from one statement ({@code build_dependency_graph}, a recursive CTE
 * that remembers (build, depth) pairs, so it ends on any graph). Bounded: at most {@code maxDepth} levels and
 * {@code limit} nodes; {@link DependencyGraph#truncated()} says when either cut the walk. Obtained from
 * {@code HonuaDb.buildDependencies()} (all tenants under {@code honua_worker}) or {@code TenantScope.buildDependencies()}.
 * Runs with the caller's rights: under {@code honua_app} only the tenant's builds and edges are walked.
 * Thread-safe.
 */
public final class BuildDependencies {

    /** Default and largest depth. */
    public static final int DEFAULT_MAX_DEPTH = 1_000;
    public static final int MAX_DEPTH = 10_000;
    /** Default and largest number of nodes returned. */
    public static final int DEFAULT_LIMIT = 10_000;
    public static final int MAX_LIMIT = 100_000;

    private final DSLContext dsl;

    BuildDependencies(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
    }

    /** Every build {@code buildId} needs, transitively, in build order (deepest first). */
    public DependencyGraph dependencies(UUID buildId) {
        return graph(buildId, Direction.DEPENDENCIES, DEFAULT_MAX_DEPTH, DEFAULT_LIMIT);
    }

    /** Every build that needs {@code buildId}, transitively, in release order (direct dependents first). */
    public DependencyGraph dependents(UUID buildId) {
        return graph(buildId, Direction.DEPENDENTS, DEFAULT_MAX_DEPTH, DEFAULT_LIMIT);
    }

    /**
     * The graph in one direction, at most {@code maxDepth} levels deep and {@code limit} nodes long.
     *
     * @throws UnknownBuildException   no such build (or not visible to the caller's tenant)
     * @throws InvalidRequestException null argument, maxDepth outside 1..{@value #MAX_DEPTH}, limit outside
     *                                 1..{@value #MAX_LIMIT}
     */
    public DependencyGraph graph(UUID buildId, Direction direction, int maxDepth, int limit) {
        Checks.notNull(buildId, "buildId");
        Checks.notNull(direction, "direction");
        Checks.range(maxDepth, 1, MAX_DEPTH, "maxDepth");
        Checks.range(limit, 1, MAX_LIMIT, "limit");
        Result<BuildDependencyGraphRecord> rows;
        try {
            // the root (first row) and limit + 1 other nodes: one more than asked tells that the limit cut the walk
            rows = dsl.selectFrom(BUILD_DEPENDENCY_GRAPH.call(buildId, direction.dbValue(), maxDepth, limit + 2)).fetch();
        } catch (DataAccessException e) {
            throw ErrorTranslator.translate(e, ErrorScope.of(Capability.QUEUE).what("dependency graph of " + buildId).build(buildId));
        }
        BuildStatus rootStatus = null;
        boolean truncated = false;
        List<DependencyNode> nodes = new ArrayList<>(rows.size());
        for (BuildDependencyGraphRecord r : rows) {
            if (r.getDepth() == 0) {
                rootStatus = r.get(BUILD_DEPENDENCY_GRAPH.STATUS, dbEnum(BuildStatus.class));
            } else if (r.getDepth() > maxDepth) {
                truncated = true;
            } else {
                nodes.add(new DependencyNode(r.getBuildId(), r.getDepth(),
                        r.get(BUILD_DEPENDENCY_GRAPH.STATUS, dbEnum(BuildStatus.class)), r.getCustomerId()));
            }
        }
        if (rootStatus == null) {
            throw new UnknownBuildException("unknown build " + buildId).initBuildId(buildId);
        }
        if (nodes.size() > limit) {
            truncated = true;
            nodes = nodes.subList(0, limit);
        }
        return new DependencyGraph(buildId, rootStatus, direction, nodes, truncated);
    }
}
