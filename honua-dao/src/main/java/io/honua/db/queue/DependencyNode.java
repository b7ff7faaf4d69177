package io.honua.db.queue;

/**
 * A build in a {@link DependencyGraph}.
 *
 * @param depth length of the longest dependency path between the root and this build (direct neighbours: 1)
 */
public record DependencyNode(java.util.UUID buildId, int depth, BuildStatus status, String customerId) {
}
