package io.honua.db.cache;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.internal.Direct.instant;
import static io.honua.db.schema.generated.Tables.BUILD_CACHE_REGISTRY;

import io.honua.db.schema.generated.tables.records.BuildCacheRegistryRecord;
import io.honua.db.types.Tier;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A build cache entry as stored in {@code build_cache_registry}, read at one instant. Immutable.
 *
 * @param createdByCustomerId the customer whose build produced it (empty once that customer was deleted)
 * @param hitCount            hits logged so far (maintained by the database from {@code build_access_log})
 */
public record CacheEntry(
        UUID id,
        String manifestHash,
        Tier tier,
        String imageReference,
        String imageDigest,
        long imageSizeBytes,
        int layerCount,
        Duration buildDuration,
        Optional<String> createdByCustomerId,
        long hitCount,
        Optional<Instant> lastHitAt,
        Optional<Instant> expiresAt,
        Instant createdAt,
        Instant updatedAt) {

    static CacheEntry of(BuildCacheRegistryRecord r) {
        return new CacheEntry(
                r.getId(),
                r.getManifestHash(),
                r.get(BUILD_CACHE_REGISTRY.TIER, dbEnum(Tier.class)),
                r.getImageReference(),
                r.getImageDigest(),
                r.getImageSizeBytes(),
                r.getLayerCount(),
                Duration.ofSeconds(r.getBuildDurationSeconds()),
                Optional.ofNullable(r.getCreatedByCustomerId()),
                r.getHitCount(),
                Optional.ofNullable(r.getLastHitAt()),
                Optional.ofNullable(r.getExpiresAt()),
                r.getCreatedAt(),
                r.getUpdatedAt());
    }

    /**
     * The current row of a result shaped as {@code build_cache_registry}, read by column name; the same entry as
     * {@link #of(BuildCacheRegistryRecord)}.
     */
    static CacheEntry of(ResultSet rs) throws SQLException {
        return new CacheEntry(
                rs.getObject("id", UUID.class),
                rs.getString("manifest_hash"),
                dbEnum(Tier.class).from(rs.getString("tier")),
                rs.getString("image_reference"),
                rs.getString("image_digest"),
                rs.getLong("image_size_bytes"),
                rs.getInt("layer_count"),
                Duration.ofSeconds(rs.getInt("build_duration_seconds")),
                Optional.ofNullable(rs.getString("created_by_customer_id")),
                rs.getLong("hit_count"),
                Optional.ofNullable(instant(rs, "last_hit_at")),
                Optional.ofNullable(instant(rs, "expires_at")),
                instant(rs, "created_at"),
                instant(rs, "updated_at"));
    }
}
