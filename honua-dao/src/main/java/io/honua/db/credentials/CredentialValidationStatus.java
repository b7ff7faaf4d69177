package io.honua.db.credentials;

import io.honua.db.types.DbEnum;

/**
 * Outcome of the last check of a registry credential against its registry ({@code registry_credentials.validation_status}).
 * Not the same concept as {@link io.honua.db.intake.ManifestValidationStatus}: a credential that was valid can later
 * be found {@link #EXPIRED} by a later check, while a manifest version has no expiry and only VALID, INVALID or PENDING.
 */
public enum CredentialValidationStatus implements DbEnum {
    PENDING, VALID, INVALID, EXPIRED;
}
