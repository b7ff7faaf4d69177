package io.honua.db.queue;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.time.Duration;
import java.util.Optional;

/**
 * How {@link BuildQueue#retry(java.util.UUID, RetryOptions)} requeues a failed, timed-out or cancelled build: it gets
 * at least {@code extraAttempts} (1..100) more attempts, keeps or changes its priority (1..10), and becomes claimable
 * after {@code delay} (0..365 days). Defaults: one more attempt, same priority, no delay.
 */
public record RetryOptions(int extraAttempts, Optional<Integer> priority, Duration delay) {

    public RetryOptions {
        if (extraAttempts < 1 || extraAttempts > 100) {
            throw new InvalidRequestException("extraAttempts must be 1..100, got " + extraAttempts);
        }
        Checks.notNull(priority, "priority");
        if (priority.isPresent() && (priority.get() < 1 || priority.get() > 10)) {
            throw new InvalidRequestException("priority must be 1..10, got " + priority.get());
        }
        Checks.notNull(delay, "delay");
        if (delay.isNegative() || delay.compareTo(Duration.ofDays(365)) > 0) {
            throw new InvalidRequestException("delay must be 0..365 days, got " + delay);
        }
    }

    public static RetryOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder. */
    public static final class Builder {
        private int extraAttempts = 1;
        private Integer priority;
        private Duration delay = Duration.ZERO;

        private Builder() {
        }

        public Builder extraAttempts(int n) { extraAttempts = n; return this; }
        public Builder priority(int p) { priority = p; return this; }
        public Builder delay(Duration d) { delay = d; return this; }

        public RetryOptions build() {
            return new RetryOptions(extraAttempts, Optional.ofNullable(priority), delay);
        }
    }
}
