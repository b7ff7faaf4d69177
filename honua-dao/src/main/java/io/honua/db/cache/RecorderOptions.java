package io.honua.db.cache;

import io.honua.db.core.InvalidRequestException;
import java.time.Duration;

/**
 * Tuning of a {@link CacheAccessRecorder}.
 *
 * @param capacity         events buffered in memory at most (1..10,000,000; default 100,000); when full,
 *                         {@link CacheAccessRecorder#record} refuses (returns false) instead of growing
 * @param batchSize        events per database write at most (1..10,000; default 1,000). A full batch is written at
 *                         once; under load batches fill up by themselves
 * @param retryBackoffBase wait before the first retry of a failed batch; doubles per retry (default 50 ms)
 * @param retryBackoffMax  longest wait between retries (default 2 s)
 * @param closeTimeout     how long {@link CacheAccessRecorder#close()} keeps writing and retrying before it gives up and
 *                         reports what is left (default 10 s)
 * @param writeTimeout     statement timeout of one batch write (default 30 s)
 * @param linger           how long the writer, once it holds an event, waits for more before it writes a batch that is
 *                         not full (0..1 s; default 5 ms): a burst of events becomes one write (one transaction)
 *                         instead of a small first batch and a large second one. {@link CacheAccessRecorder#flush} and
 *                         {@link CacheAccessRecorder#close()} cut the wait short. At low load an event waits at most
 *                         {@code linger} plus one write; 0 writes whatever is buffered as soon as the writer is free
 */
public record RecorderOptions(int capacity, int batchSize, Duration retryBackoffBase, Duration retryBackoffMax,
                              Duration closeTimeout, Duration writeTimeout, Duration linger) {

    public static final RecorderOptions DEFAULTS = new RecorderOptions(100_000, 1_000, Duration.ofMillis(50), Duration.ofSeconds(2),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMillis(5));

    /** The options with the default {@code linger} (5 ms); kept for callers written before {@code linger} existed. */
    public RecorderOptions(int capacity, int batchSize, Duration retryBackoffBase, Duration retryBackoffMax,
                           Duration closeTimeout, Duration writeTimeout) {
        this(capacity, batchSize, retryBackoffBase, retryBackoffMax, closeTimeout, writeTimeout, Duration.ofMillis(5));
    }

    public RecorderOptions {
        if (capacity < 1 || capacity > 10_000_000) {
            throw new InvalidRequestException("capacity must be 1..10000000, got " + capacity);
        }
        if (batchSize < 1 || batchSize > 10_000) {
            throw new InvalidRequestException("batchSize must be 1..10000, got " + batchSize);
        }
        positive(retryBackoffBase, "retryBackoffBase");
        positive(retryBackoffMax, "retryBackoffMax");
        if (retryBackoffMax.compareTo(retryBackoffBase) < 0) {
            throw new InvalidRequestException("retryBackoffMax must be >= retryBackoffBase");
        }
        if (closeTimeout == null || closeTimeout.isNegative() || closeTimeout.toHours() > 24) {
            throw new InvalidRequestException("closeTimeout must be 0..24 h, got " + closeTimeout);
        }
        positive(writeTimeout, "writeTimeout");
        if (linger == null || linger.isNegative() || linger.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new InvalidRequestException("linger must be 0..1 s, got " + linger);
        }
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero() || d.toHours() > 24) {
            throw new InvalidRequestException(name + " must be positive and at most 24 h, got " + d);
        }
    }

    public RecorderOptions withCapacity(int capacity) {
        return new RecorderOptions(capacity, batchSize, retryBackoffBase, retryBackoffMax, closeTimeout, writeTimeout, linger);
    }

    public RecorderOptions withBatchSize(int batchSize) {
        return new RecorderOptions(capacity, batchSize, retryBackoffBase, retryBackoffMax, closeTimeout, writeTimeout, linger);
    }

    public RecorderOptions withRetryBackoff(Duration base, Duration max) {
        return new RecorderOptions(capacity, batchSize, base, max, closeTimeout, writeTimeout, linger);
    }

    public RecorderOptions withCloseTimeout(Duration closeTimeout) {
        return new RecorderOptions(capacity, batchSize, retryBackoffBase, retryBackoffMax, closeTimeout, writeTimeout, linger);
    }

    public RecorderOptions withWriteTimeout(Duration writeTimeout) {
        return new RecorderOptions(capacity, batchSize, retryBackoffBase, retryBackoffMax, closeTimeout, writeTimeout, linger);
    }

    /** See {@code linger} above. */
    public RecorderOptions withLinger(Duration linger) {
        return new RecorderOptions(capacity, batchSize, retryBackoffBase, retryBackoffMax, closeTimeout, writeTimeout, linger);
    }
}
