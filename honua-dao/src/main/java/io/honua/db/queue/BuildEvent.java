package io.honua.db.queue;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One state change of a build. {@code seq} numbers a build's events 1, 2, 3, … without gaps, in the order they
 * committed.
 */
public record BuildEvent(UUID buildId, int seq, String type, String dataJson, Instant at,
                         Optional<String> traceId, Optional<String> correlationId) {
}
