package io.honua.db.queue;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Checks;
import java.time.Duration;
import java.util.Optional;

/**
 * Tuning of a {@link BuildWorker}: the named defaults every worker starts from, given once to
 * {@code HonuaDb.builder(ds).workerOptions(...)} for all workers of that {@code HonuaDb} ({@code HonuaDb.worker(id,
 * handler)}), and overridable per worker on its {@link BuildWorker.Builder}. Immutable; invalid values are
 * {@link InvalidRequestException}.
 *
 * @param batchSize         builds claimed per round trip (default 10; 1..1,000)
 * @param maxConcurrent     handlers running at once (default 10; 1..10,000)
 * @param pollInterval      fallback poll when no notification arrives (default 5 s)
 * @param heartbeatInterval heartbeat period (default empty: a third of the queue's lease)
 * @param shutdownGrace     how long {@link BuildWorker#close()} lets running builds finish (default 30 s; zero allowed)
 * @param errorBackoffMax   longest wait between retries while the database is unavailable (default 5 s; the backoff
 *                          starts at 50 ms)
 * @param completionBatch   most outcomes written per statement (default 100; 1..1,000)
 */
public record WorkerOptions(int batchSize, int maxConcurrent, Duration pollInterval, Optional<Duration> heartbeatInterval,
        Duration shutdownGrace, Duration errorBackoffMax, int completionBatch) {

    public static final WorkerOptions DEFAULTS = new WorkerOptions(10, 10, Duration.ofSeconds(5), Optional.empty(),
            Duration.ofSeconds(30), Duration.ofSeconds(5), 100);

    public WorkerOptions {
        Checks.range(batchSize, 1, 1000, "batchSize");
        Checks.range(maxConcurrent, 1, 10_000, "maxConcurrent");
        Checks.positive(pollInterval, "pollInterval");
        Checks.notNull(heartbeatInterval, "heartbeatInterval").ifPresent(d -> Checks.positive(d, "heartbeatInterval"));
        Checks.notNull(shutdownGrace, "shutdownGrace");
        if (shutdownGrace.isNegative()) {
            throw new InvalidRequestException("shutdownGrace must not be negative, got " + shutdownGrace);
        }
        Checks.positive(errorBackoffMax, "errorBackoffMax");
        Checks.range(completionBatch, 1, 1000, "completionBatch");
    }

    public WorkerOptions withBatchSize(int n) {
        return new WorkerOptions(n, maxConcurrent, pollInterval, heartbeatInterval, shutdownGrace, errorBackoffMax, completionBatch);
    }

    public WorkerOptions withMaxConcurrent(int n) {
        return new WorkerOptions(batchSize, n, pollInterval, heartbeatInterval, shutdownGrace, errorBackoffMax, completionBatch);
    }

    public WorkerOptions withPollInterval(Duration d) {
        return new WorkerOptions(batchSize, maxConcurrent, d, heartbeatInterval, shutdownGrace, errorBackoffMax, completionBatch);
    }

    public WorkerOptions withHeartbeatInterval(Duration d) {
        return new WorkerOptions(batchSize, maxConcurrent, pollInterval, Optional.of(Checks.notNull(d, "heartbeatInterval")),
                shutdownGrace, errorBackoffMax, completionBatch);
    }

    public WorkerOptions withShutdownGrace(Duration d) {
        return new WorkerOptions(batchSize, maxConcurrent, pollInterval, heartbeatInterval, d, errorBackoffMax, completionBatch);
    }

    public WorkerOptions withErrorBackoffMax(Duration d) {
        return new WorkerOptions(batchSize, maxConcurrent, pollInterval, heartbeatInterval, shutdownGrace, d, completionBatch);
    }

    public WorkerOptions withCompletionBatch(int n) {
        return new WorkerOptions(batchSize, maxConcurrent, pollInterval, heartbeatInterval, shutdownGrace, errorBackoffMax, n);
    }
}
