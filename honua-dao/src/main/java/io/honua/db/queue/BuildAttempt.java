package io.honua.db.queue;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One ended attempt of a build (seed 003's execution history): its number (1 = first claim; a released attempt keeps
 * the number the next claim reuses), the worker, when it started and ended, and how ({@link AttemptOutcome}) with the
 * figures the worker reported. Attempts stay when the build is retried.
 */
public record BuildAttempt(
        UUID buildId,
        int attempt,
        Optional<String> workerId,
        Instant startedAt,
        Instant endedAt,
        AttemptOutcome outcome,
        Optional<Integer> exitCode,
        Optional<Duration> duration,
        Optional<BigDecimal> cpuSeconds,
        Optional<Long> peakMemoryBytes,
        Optional<String> error,
        Optional<String> stdoutLog,
        Optional<String> stderrLog) {
}
