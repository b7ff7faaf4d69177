package io.honua.db.analytics;

import java.time.Duration;
import java.util.Optional;

/**
 * The build queue at one instant, read in one statement (a consistent snapshot).
 *
 * @param queued          builds waiting
 * @param ready           of those, claimable now (no pending dependency, not deferred)
 * @param building        builds running
 * @param oldestQueuedAge age of the oldest waiting build by the database clock; empty when nothing waits
 */
public record QueueDepth(long queued, long ready, long building, Optional<Duration> oldestQueuedAge) {
}
