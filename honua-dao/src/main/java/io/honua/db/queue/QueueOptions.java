package io.honua.db.queue;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.QueueWakeUp;
import java.time.Duration;

/**
 * Tuning of a {@link BuildQueue}.
 *
 * @param lease        how long a claim holds a build without a heartbeat (default 60 s)
 * @param agingStep    waiting this long raises a build's effective priority by one level (default 60 s), so a
 *                     priority-1 build overtakes fresh priority-10 builds after 9 steps
 * @param backoffBase  delay before the first retry of a failed build; doubles with each attempt (default 5 s)
 * @param backoffMax   longest retry delay (default 10 min)
 * @param notifyWorkers whether enqueues through this queue wake idle workers with a NOTIFY on
 *                     {@link QueueWakeUp#CHANNEL} (default true; at most one notification per transaction either way).
 *                     With false, workers find new builds by their poll interval; completions and requeues still
 *                     notify unless the database setting {@code honua.queue_notify} is {@code off}.
 */
public record QueueOptions(Duration lease, Duration agingStep, Duration backoffBase, Duration backoffMax, boolean notifyWorkers) {

    public static final QueueOptions DEFAULTS =
            new QueueOptions(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofMinutes(10), true);

    /** Options with notifications on. */
    public QueueOptions(Duration lease, Duration agingStep, Duration backoffBase, Duration backoffMax) {
        this(lease, agingStep, backoffBase, backoffMax, true);
    }

    public QueueOptions {
        positive(lease, "lease", 86_400);
        positive(agingStep, "agingStep", Integer.MAX_VALUE);
        positive(backoffBase, "backoffBase", 86_400);
        positive(backoffMax, "backoffMax", 86_400);
    }

    private static void positive(Duration d, String name, long maxSeconds) {
        if (d == null || d.isNegative() || d.isZero() || d.toSeconds() > maxSeconds) {
            throw new InvalidRequestException(name + " must be positive and at most " + maxSeconds + " s, got " + d);
        }
    }

    public QueueOptions withLease(Duration lease) {
        return new QueueOptions(lease, agingStep, backoffBase, backoffMax, notifyWorkers);
    }

    public QueueOptions withAgingStep(Duration agingStep) {
        return new QueueOptions(lease, agingStep, backoffBase, backoffMax, notifyWorkers);
    }

    public QueueOptions withBackoff(Duration base, Duration max) {
        return new QueueOptions(lease, agingStep, base, max, notifyWorkers);
    }

    /** Whether enqueues send a NOTIFY to wake idle workers (see {@link #notifyWorkers()}). */
    public QueueOptions withNotifyWorkers(boolean notifyWorkers) {
        return new QueueOptions(lease, agingStep, backoffBase, backoffMax, notifyWorkers);
    }

    int leaseSeconds() {
        return (int) Math.max(1, lease.toSeconds());
    }
}
