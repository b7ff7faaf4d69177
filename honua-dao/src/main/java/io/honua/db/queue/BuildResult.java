package io.honua.db.queue;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** The result of a completed build ({@code build_results}, one per build): what its {@link Completion} reported. */
public record BuildResult(
        UUID buildId,
        boolean success,
        Optional<Integer> exitCode,
        Duration duration,
        Optional<BigDecimal> cpuSeconds,
        Optional<Long> peakMemoryBytes,
        Optional<String> imageReference,
        Optional<String> imageDigest,
        Optional<Long> imageSizeBytes,
        Optional<Integer> layerCount,
        Optional<String> stdoutLog,
        Optional<String> stderrLog,
        Instant createdAt) {
}
