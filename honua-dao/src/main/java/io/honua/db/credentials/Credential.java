package io.honua.db.credentials;

import io.honua.db.schema.generated.tables.records.RegistryCredentialsRecord;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A stored registry credential without its secret (see {@link RegistryCredentials#reveal}). */
public record Credential(UUID id, String customerId, RegistryType type, String name, String url, String username,
                         ValidationStatus validationStatus, Optional<String> validationError,
                         Optional<Instant> lastValidatedAt, boolean active, Optional<Instant> revokedAt,
                         Optional<Instant> expiresAt, String encryptionKeyId, Instant createdAt, Instant updatedAt) {

    static Credential of(RegistryCredentialsRecord r) {
        return new Credential(r.getId(), r.getCustomerId(), RegistryType.fromDb(r.getRegistryType()), r.getRegistryName(),
                r.getRegistryUrl(), r.getUsername(), ValidationStatus.fromDb(r.getValidationStatus()),
                Optional.ofNullable(r.getValidationError()), Optional.ofNullable(r.getLastValidatedAt()),
                Boolean.TRUE.equals(r.getIsActive()), Optional.ofNullable(r.getRevokedAt()),
                Optional.ofNullable(r.getExpiresAt()), r.getEncryptionKeyId(), r.getCreatedAt(), r.getUpdatedAt());
    }
}
