package io.honua.db.queue;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Outcome of {@link BuildQueue#heartbeatAll}: one statement for all of a worker's builds.
 *
 * @param extended  builds still held, with their new lease expiry
 * @param cancelled builds this worker held that were cancelled: stop working on them
 * @param lost      builds this worker does not hold (lease expired and taken over, finished, or unknown)
 */
public record HeartbeatResult(Map<UUID, Instant> extended, Set<UUID> cancelled, Set<UUID> lost) {
    public HeartbeatResult {
        extended = Map.copyOf(extended);
        cancelled = Set.copyOf(cancelled);
        lost = Set.copyOf(lost);
    }
}
