package io.honua.db.intake;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.BUILD_MANIFESTS;

import io.honua.db.schema.generated.tables.records.BuildManifestsRecord;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One version of a build manifest, read at one instant. Immutable.
 *
 * @param digest               SHA-256 (hex) of the canonical manifest content, computed by the database
 *                             ({@code manifest_digest(jsonb)}: the jsonb text form, keys sorted, whitespace normalized)
 * @param validationErrorsJson JSON array of the errors of the last validation ({@code []} when none)
 * @param publishedAt          present once published; from then on content, validation and version are immutable
 */
public record Manifest(
        UUID id,
        String customerId,
        Optional<UUID> conversationId,
        String name,
        int version,
        String manifestJson,
        String digest,
        ManifestValidationStatus validationStatus,
        String validationErrorsJson,
        Optional<Instant> publishedAt,
        DeploymentStatus deploymentStatus,
        Optional<String> deploymentTarget,
        Optional<Instant> deployedAt,
        Instant createdAt) {

    public boolean isPublished() {
        return publishedAt.isPresent();
    }

    static Manifest of(BuildManifestsRecord r) {
        return new Manifest(r.getId(), r.getCustomerId(), Optional.ofNullable(r.getConversationId()), r.getName(),
                r.getVersion(), r.getManifest().data(), r.getManifestDigest(),
                r.get(BUILD_MANIFESTS.VALIDATION_STATUS, dbEnum(ManifestValidationStatus.class)),
                r.getValidationErrors().data(), Optional.ofNullable(r.getPublishedAt()),
                r.get(BUILD_MANIFESTS.DEPLOYMENT_STATUS, dbEnum(DeploymentStatus.class)), Optional.ofNullable(r.getDeploymentTarget()),
                Optional.ofNullable(r.getDeployedAt()), r.getCreatedAt());
    }
}
