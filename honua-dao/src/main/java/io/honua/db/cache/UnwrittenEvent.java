package io.honua.db.cache;

import java.util.UUID;

/**
 * An event a {@link CacheAccessRecorder} accepted but did not write, and why.
 *
 * @param batchId the batch it was last sent in (re-sending that batch with {@link BuildCache#recordBatch} is safe:
 *                a batch id is written at most once); a random id when it was never sent
 * @param detail  the last error, for humans
 */
public record UnwrittenEvent(AccessEvent event, UUID batchId, Reason reason, String detail) {

    /** Why an accepted event is not in {@code build_access_log}. */
    public enum Reason {
        /** The customer does not exist (or is deleted): the database refused this event; the rest of its batch was written. */
        UNKNOWN_CUSTOMER,
        /** The database refused the whole batch with a non-transient error (see detail); retrying would not help. */
        REFUSED,
        /** Not written when close() gave up: never sent, or every attempt definitely failed. */
        NOT_WRITTEN,
        /**
         * Its batch's last attempt lost the connection, so the commit may or may not have happened. Re-send the batch
         * with {@link BuildCache#recordBatch(UUID, java.util.List)} once the database is back: it is written exactly once.
         */
        IN_DOUBT
    }
}
