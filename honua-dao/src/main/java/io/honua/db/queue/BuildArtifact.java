package io.honua.db.queue;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A stored output of a build ({@code build_artifacts}), from a {@link Completion} or a {@link Failure}. */
public record BuildArtifact(
        UUID id,
        UUID buildId,
        ArtifactType type,
        String name,
        String uri,
        String contentHash,
        long sizeBytes,
        Optional<String> mediaType,
        String metadataJson,
        Instant createdAt) {
}
