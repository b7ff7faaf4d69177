package io.honua.db.credentials;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.REGISTRY_CREDENTIALS;

import io.honua.db.schema.generated.tables.records.RegistryCredentialsRecord;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A stored registry credential without its secret (see {@link RegistryCredentials#reveal}). */
public record Credential(UUID id, String customerId, RegistryType type, String name, String url, String username,
                         CredentialValidationStatus validationStatus, Optional<String> validationError,
                         Optional<Instant> lastValidatedAt, boolean active, Optional<Instant> revokedAt,
                         Optional<Instant> expiresAt, String encryptionKeyId, Instant createdAt, Instant updatedAt) {

    static Credential of(RegistryCredentialsRecord r) {
        return new Credential(r.getId(), r.getCustomerId(),
                r.get(REGISTRY_CREDENTIALS.REGISTRY_TYPE, dbEnum(RegistryType.class)), r.getRegistryName(),
                r.getRegistryUrl(), r.getUsername(),
                r.get(REGISTRY_CREDENTIALS.VALIDATION_STATUS, dbEnum(CredentialValidationStatus.class)),
                Optional.ofNullable(r.getValidationError()), Optional.ofNullable(r.getLastValidatedAt()),
                Boolean.TRUE.equals(r.getIsActive()), Optional.ofNullable(r.getRevokedAt()),
                Optional.ofNullable(r.getExpiresAt()), r.getEncryptionKeyId(), r.getCreatedAt(), r.getUpdatedAt());
    }
}
