package io.honua.db.queue;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a worker reports when a build succeeded: written to {@code build_results} and {@code build_artifacts} in the
 * same transaction that marks the build completed.
 */
public record Completion(
        Duration duration,
        Optional<Integer> exitCode,
        Optional<BigDecimal> cpuSeconds,
        Optional<Long> peakMemoryBytes,
        Optional<String> imageReference,
        Optional<String> imageDigest,
        Optional<Long> imageSizeBytes,
        Optional<Integer> layerCount,
        Optional<String> stdoutLog,
        Optional<String> stderrLog,
        List<NewArtifact> artifacts) {

    public Completion {
        Checks.notNull(duration, "duration");
        if (duration.isNegative()) {
            throw new InvalidRequestException("duration must not be negative");
        }
        for (Optional<?> o : List.of(exitCode, cpuSeconds, peakMemoryBytes, imageReference, imageDigest, imageSizeBytes,
                layerCount, stdoutLog, stderrLog)) {
            Checks.notNull(o, "optional field");
        }
        artifacts = List.copyOf(Checks.noNulls(artifacts, "artifacts"));
    }

    public static Builder builder(Duration duration) {
        return new Builder(duration);
    }

    /** Mutable builder. */
    public static final class Builder {
        private final Duration duration;
        private Integer exitCode;
        private BigDecimal cpuSeconds;
        private Long peakMemoryBytes;
        private String imageReference;
        private String imageDigest;
        private Long imageSizeBytes;
        private Integer layerCount;
        private String stdoutLog;
        private String stderrLog;
        private final List<NewArtifact> artifacts = new ArrayList<>();

        private Builder(Duration duration) {
            this.duration = duration;
        }

        public Builder exitCode(int v) { exitCode = v; return this; }
        public Builder cpuSeconds(BigDecimal v) { cpuSeconds = v; return this; }
        public Builder peakMemoryBytes(long v) { peakMemoryBytes = v; return this; }
        public Builder image(String reference, String digest, long sizeBytes, int layers) {
            imageReference = reference;
            imageDigest = digest;
            imageSizeBytes = sizeBytes;
            layerCount = layers;
            return this;
        }
        public Builder logs(String stdout, String stderr) { stdoutLog = stdout; stderrLog = stderr; return this; }
        public Builder artifact(NewArtifact a) { artifacts.add(Checks.notNull(a, "artifact")); return this; }

        public Completion build() {
            return new Completion(duration, Optional.ofNullable(exitCode), Optional.ofNullable(cpuSeconds),
                    Optional.ofNullable(peakMemoryBytes), Optional.ofNullable(imageReference), Optional.ofNullable(imageDigest),
                    Optional.ofNullable(imageSizeBytes), Optional.ofNullable(layerCount), Optional.ofNullable(stdoutLog),
                    Optional.ofNullable(stderrLog), artifacts);
        }
    }
}
