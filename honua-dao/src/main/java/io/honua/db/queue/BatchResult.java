package io.honua.db.queue;

import java.util.List;
import java.util.UUID;

/**
 * Outcome of a batched lease-holder operation ({@link BuildQueue#completeAll}, {@link BuildQueue#failAll}): the
 * builds changed, and the ids of requested builds the worker did not hold (any more), which were left unchanged.
 *
 * @param done    the changed builds (for a failure: QUEUED when it will be retried, else FAILED), in no particular order
 * @param notHeld requested builds this worker does not hold: cancelled, taken over after a lost lease, or unknown
 */
public record BatchResult(List<Build> done, List<UUID> notHeld) {
    public BatchResult {
        done = List.copyOf(done);
        notHeld = List.copyOf(notHeld);
    }
}
