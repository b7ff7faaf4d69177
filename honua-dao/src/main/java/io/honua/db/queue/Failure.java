package io.honua.db.queue;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a worker reports when an attempt failed, the counterpart of {@link Completion}: kept in {@code build_attempts}
 * (one row per attempt) and, for artifacts such as a test report, {@code build_artifacts}, in the same transaction
 * that requeues or fails the build. Only {@code error} (1..10,000 characters) is required; absent figures are empty,
 * never null. Without a duration the database measures it from the attempt's start.
 */
public record Failure(
        String error,
        Optional<Integer> exitCode,
        Optional<Duration> duration,
        Optional<BigDecimal> cpuSeconds,
        Optional<Long> peakMemoryBytes,
        Optional<String> stdoutLog,
        Optional<String> stderrLog,
        List<NewArtifact> artifacts) {

    public Failure {
        Checks.text(error, "error", 10_000);
        for (Optional<?> o : List.of(exitCode, duration, cpuSeconds, peakMemoryBytes, stdoutLog, stderrLog)) {
            Checks.notNull(o, "optional field");
        }
        if (duration.isPresent() && duration.get().isNegative()) {
            throw new InvalidRequestException("duration must not be negative");
        }
        if (cpuSeconds.isPresent() && cpuSeconds.get().signum() < 0) {
            throw new InvalidRequestException("cpuSeconds must not be negative");
        }
        if (peakMemoryBytes.isPresent() && peakMemoryBytes.get() < 0) {
            throw new InvalidRequestException("peakMemoryBytes must not be negative");
        }
        artifacts = List.copyOf(Checks.noNulls(artifacts, "artifacts"));
    }

    /** A failure with only its error message. */
    public static Failure of(String error) {
        return builder(error).build();
    }

    public static Builder builder(String error) {
        return new Builder(error);
    }

    /** Mutable builder. */
    public static final class Builder {
        private final String error;
        private Integer exitCode;
        private Duration duration;
        private BigDecimal cpuSeconds;
        private Long peakMemoryBytes;
        private String stdoutLog;
        private String stderrLog;
        private final List<NewArtifact> artifacts = new ArrayList<>();

        private Builder(String error) {
            this.error = error;
        }

        public Builder exitCode(int v) { exitCode = v; return this; }
        public Builder duration(Duration v) { duration = Checks.notNull(v, "duration"); return this; }
        public Builder cpuSeconds(BigDecimal v) { cpuSeconds = Checks.notNull(v, "cpuSeconds"); return this; }
        public Builder peakMemoryBytes(long v) { peakMemoryBytes = v; return this; }
        public Builder logs(String stdout, String stderr) { stdoutLog = stdout; stderrLog = stderr; return this; }
        public Builder artifact(NewArtifact a) { artifacts.add(Checks.notNull(a, "artifact")); return this; }

        public Failure build() {
            return new Failure(error, Optional.ofNullable(exitCode), Optional.ofNullable(duration), Optional.ofNullable(cpuSeconds),
                    Optional.ofNullable(peakMemoryBytes), Optional.ofNullable(stdoutLog), Optional.ofNullable(stderrLog), artifacts);
        }
    }
}
