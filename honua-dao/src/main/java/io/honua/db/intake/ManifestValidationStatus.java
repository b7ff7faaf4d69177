package io.honua.db.intake;

import io.honua.db.types.DbEnum;

/**
 * Validation state of a manifest version ({@code build_manifests.validation_status}): PENDING until validated, then
 * VALID or INVALID. Only VALID can be published or built. Not the same concept as
 * {@link io.honua.db.credentials.CredentialValidationStatus} (a registry check that can expire).
 */
public enum ManifestValidationStatus implements DbEnum {
    PENDING, VALID, INVALID;
}
