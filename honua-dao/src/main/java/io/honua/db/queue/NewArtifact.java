package io.honua.db.queue;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.util.regex.Pattern;

/**
 * One output of a build. {@code contentHash} is the SHA-256 of the content (64 lowercase hex); the same content is
 * stored once per build.
 */
public record NewArtifact(ArtifactType type, String name, String uri, String contentHash, long sizeBytes, String metadataJson) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public NewArtifact {
        Checks.notNull(type, "type");
        Checks.text(name, "name", 500);
        Checks.text(uri, "uri", 2000);
        Checks.notNull(contentHash, "contentHash");
        if (!SHA256.matcher(contentHash).matches()) {
            throw new InvalidRequestException("contentHash must be 64 lowercase hex characters (SHA-256)");
        }
        if (sizeBytes < 0) {
            throw new InvalidRequestException("sizeBytes must not be negative");
        }
        Checks.notNull(metadataJson, "metadataJson");
    }

    public static NewArtifact of(ArtifactType type, String name, String uri, String contentHash, long sizeBytes) {
        return new NewArtifact(type, name, uri, contentHash, sizeBytes, "{}");
    }
}
