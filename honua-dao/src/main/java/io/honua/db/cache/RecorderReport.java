package io.honua.db.cache;

import java.util.List;

/**
 * Counters of a {@link CacheAccessRecorder}. Final once {@link CacheAccessRecorder#close()} returned: then
 * {@code accepted == written + failed}, and {@code failed == unwritten.size()} (unless some were removed earlier with
 * {@link CacheAccessRecorder#takeUnwritten()}): every accepted event accounted for exactly once.
 *
 * @param accepted  events {@code record} accepted
 * @param refused   events {@code record} refused because the buffer was full (never accepted, not in unwritten)
 * @param written   events confirmed written to {@code build_access_log}
 * @param retried   batch write attempts that failed transiently and were retried
 * @param failed    accepted events that were not written (see unwritten)
 * @param pending   accepted events not yet written nor failed (0 after close)
 * @param unwritten the failed events with their reason, in acceptance order per batch (minus any taken)
 */
public record RecorderReport(long accepted, long refused, long written, long retried, long failed, long pending,
                             List<UnwrittenEvent> unwritten) {

    public RecorderReport {
        unwritten = List.copyOf(unwritten);
    }
}
