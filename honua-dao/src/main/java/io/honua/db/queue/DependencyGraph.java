package io.honua.db.queue;

import io.honua.db.types.DbEnum;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The transitive dependencies or dependents of a build ({@link BuildDependencies}), in topological order: every node
 * comes after every node it depends on. For {@link Direction#DEPENDENCIES} that is build order (the deepest first, the
 * root's direct dependencies last); for {@link Direction#DEPENDENTS} it is release order (the root's direct dependents
 * first).
 *
 * @param root       the build asked about (not in {@code nodes})
 * @param rootStatus its status
 * @param nodes      the other builds of the walk, each once, with the length of the longest path from the root
 * @param truncated  true when the walk was cut by the depth or node limit: nodes are missing then (those reached only
 *                   by longer paths, or beyond the limit in topological order)
 */
public record DependencyGraph(UUID root, BuildStatus rootStatus, Direction direction, List<DependencyNode> nodes,
                              boolean truncated) {

    /** Which way the walk goes from the root. */
    public enum Direction implements DbEnum {
        /** What the root needs, transitively ({@code build_dependencies.depends_on_build_id} onwards). */
        DEPENDENCIES,
        /** What needs the root, transitively ({@code build_dependencies.build_id} onwards). */
        DEPENDENTS
    }

    public DependencyGraph {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(rootStatus, "rootStatus");
        Objects.requireNonNull(direction, "direction");
        nodes = List.copyOf(nodes);
    }

    /** The ids in topological order. */
    public List<UUID> ids() {
        return nodes.stream().map(DependencyNode::buildId).toList();
    }
}
