package io.honua.db.queue;


import io.honua.db.types.DbEnum;

/** How an attempt of a build ended ({@code build_attempts.outcome}). */
public enum AttemptOutcome implements DbEnum {
    /** The worker completed the build. */
    COMPLETED,
    /** The worker reported a failure (the build was requeued or, attempts used, failed). */
    FAILED,
    /** The build ran past its timeout. */
    TIMEOUT,
    /** The worker stopped heartbeating; its lease expired and the build was recovered. */
    LEASE_EXPIRED,
    /** The worker gave the build back before running it (not counted as an attempt). */
    RELEASED,
    /** The build was cancelled while running. */
    CANCELLED;
}
