package io.honua.db.cache;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.Tier;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What {@link BuildCache#register} stores. Validated on construction ({@link InvalidRequestException}).
 *
 * @param customerId     the customer whose build produced the image; its license tier must allow {@code tier}
 * @param manifestHash   64 lower-case hex characters (SHA-256 of the manifest)
 * @param imageReference 1..2000 characters
 * @param imageDigest    1..200 characters
 * @param expiresAt      when the entry stops being returned; empty: never
 */
public record NewCacheEntry(
        String customerId,
        String manifestHash,
        Tier tier,
        String imageReference,
        String imageDigest,
        long imageSizeBytes,
        int layerCount,
        Duration buildDuration,
        Optional<Instant> expiresAt) {

    public NewCacheEntry {
        BuildCache.checkCustomer(customerId);
        BuildCache.checkHash(manifestHash);
        Checks.notNull(tier, "tier");
        Checks.text(imageReference, "imageReference", 2000);
        Checks.text(imageDigest, "imageDigest", 200);
        if (imageSizeBytes < 0) {
            throw new InvalidRequestException("imageSizeBytes must be >= 0, got " + imageSizeBytes);
        }
        if (layerCount < 0) {
            throw new InvalidRequestException("layerCount must be >= 0, got " + layerCount);
        }
        Checks.notNull(buildDuration, "buildDuration");
        if (buildDuration.isNegative() || buildDuration.toSeconds() > Integer.MAX_VALUE) {
            throw new InvalidRequestException("buildDuration must be 0.." + Integer.MAX_VALUE + " s, got " + buildDuration);
        }
        Checks.notNull(expiresAt, "expiresAt");
    }

    /** An entry without expiry, size, layers or duration. */
    public static NewCacheEntry of(String customerId, String manifestHash, Tier tier, String imageReference, String imageDigest) {
        return new NewCacheEntry(customerId, manifestHash, tier, imageReference, imageDigest, 0, 0, Duration.ZERO, Optional.empty());
    }

    public NewCacheEntry withImage(long sizeBytes, int layers, Duration buildDuration) {
        return new NewCacheEntry(customerId, manifestHash, tier, imageReference, imageDigest, sizeBytes, layers, buildDuration, expiresAt);
    }

    public NewCacheEntry withExpiresAt(Instant expiresAt) {
        return new NewCacheEntry(customerId, manifestHash, tier, imageReference, imageDigest, imageSizeBytes, layerCount, buildDuration,
                Optional.of(Checks.notNull(expiresAt, "expiresAt")));
    }
}
