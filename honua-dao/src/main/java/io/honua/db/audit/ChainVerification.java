package io.honua.db.audit;

import java.util.Optional;

/**
 * Result of {@link AuditLog#verifyChain}.
 *
 * @param customerId    the customer whose chain was checked
 * @param eventsChecked number of events read
 * @param headHash      hash of the last event when the chain is intact and not empty (keep it outside the database
 *                      to detect the removal of trailing events)
 * @param firstBroken   the first event (in seq order) that does not fit the chain; empty when the chain is intact
 */
public record ChainVerification(String customerId, long eventsChecked, Optional<String> headHash, Optional<BrokenLink> firstBroken) {

    public boolean isValid() {
        return firstBroken.isEmpty();
    }

    /** Why an event does not fit. */
    public enum Problem {
        /** The stored hash is not sha256(prev_hash || event): the event's content or hash was changed. */
        HASH_MISMATCH,
        /** prev_hash is not the previous event's hash: an event before it was changed, removed or inserted. */
        PREV_HASH_MISMATCH,
        /** seq does not follow the previous event's seq: events are missing. */
        SEQ_GAP
    }

    /** The first event that breaks the chain: its id and seq, and what is wrong. */
    public record BrokenLink(long eventId, long seq, Problem problem) {
    }
}
