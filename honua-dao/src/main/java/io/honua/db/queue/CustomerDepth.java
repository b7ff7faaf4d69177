package io.honua.db.queue;

/** Queue depth of one customer: builds waiting, of which claimable now, and builds running. */
public record CustomerDepth(String customerId, long queued, long ready, long building) {
}
