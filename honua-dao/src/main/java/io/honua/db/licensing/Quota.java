package io.honua.db.licensing;

/** The license quotas the database enforces. */
public enum Quota {
    /** Builds enqueued per UTC calendar month (enforced on enqueue). */
    BUILDS_PER_MONTH,
    /** Active registry credentials (enforced when a credential is stored or re-activated). */
    REGISTRIES,
    /** Builds running at once (enforced by the queue's claim, which never exceeds it). */
    CONCURRENT_BUILDS
}
