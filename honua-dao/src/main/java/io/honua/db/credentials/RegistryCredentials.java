package io.honua.db.credentials;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.INVALID_REGISTRY_CREDENTIALS;
import static io.honua.db.schema.generated.Tables.REGISTRY_CREDENTIALS;

import io.honua.db.internal.Tenancy;
import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.Checks;
import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.EnvelopeCipher;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.crypto.KeyRotation;
import io.honua.db.crypto.RotationReport;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.RegistryCredentialsRecord;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

/**
 * Container-registry credentials, stored envelope-encrypted (AES-256-GCM, one data key per secret, wrapped under the
 * key provider's current key id, bound to the customer so a ciphertext cannot be moved to another tenant).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>No plaintext secret at rest, none in listings.</b> {@link #list}, {@link #find} and every other read
 *       return {@link Credential} (no secret); only {@link #reveal} decrypts.</li>
 *   <li><b>Registries quota</b> ({@code max_registries} of the customer's valid licenses) is enforced by the database
 *       when a credential is stored: {@link io.honua.db.licensing.QuotaExceededException}, nothing stored.</li>
 *   <li><b>Rotation</b> ({@link #rotate}) re-encrypts every credential under a new key id, one transaction per chunk;
 *       afterwards no credential references another key id (unless reported as failed).</li>
 *   <li>Names are unique per customer ({@link ConflictException} otherwise). Bad input raises a subtype of
 *       {@link HonuaException} and changes nothing.</li>
 * </ul>
 * Tenant-owned rows are read and written in {@link io.honua.db.internal.Tenancy#inTenant}. Thread-safe; share one instance.
 */
public final class RegistryCredentials {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.CREDENTIALS);

    private static final int DEFAULT_CHUNK = 500;
    private static final int MAX_ERROR = 2000;

    private final DSLContext dsl;
    private final EnvelopeCipher cipher;

    RegistryCredentials(DSLContext dsl, KeyProvider keys) {
        this.dsl = Checks.notNull(dsl, "dsl");
        this.cipher = new EnvelopeCipher(Checks.notNull(keys, "keys"));
    }

    /**
     * Encrypts and stores a credential (validation status PENDING).
     *
     * @throws UnknownCustomerException                        no such customer
     * @throws ConflictException                               the customer already has a credential with this name
     * @throws io.honua.db.licensing.QuotaExceededException    beyond the license's registries quota
     * @throws io.honua.db.licensing.InvalidLicenseException   the customer's licenses are all invalid
     */
    public Credential store(NewCredential c) {
        Checks.notNull(c, "credential");
        EnvelopeCipher.Sealed sealed = cipher.sealText(cipher.keys().currentKeyId(), c.secret(), context(c.customerId()));
        return call(ERRORS, () -> Tenancy.inTenant(dsl, c.customerId(), tx -> Credential.of(tx.insertInto(REGISTRY_CREDENTIALS)
                .set(REGISTRY_CREDENTIALS.CUSTOMER_ID, c.customerId())
                .set(REGISTRY_CREDENTIALS.REGISTRY_TYPE, c.type().dbValue())
                .set(REGISTRY_CREDENTIALS.REGISTRY_NAME, c.name())
                .set(REGISTRY_CREDENTIALS.REGISTRY_URL, c.url())
                .set(REGISTRY_CREDENTIALS.USERNAME, c.username())
                .set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, sealed.ciphertext())
                .set(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID, sealed.keyId())
                .set(REGISTRY_CREDENTIALS.EXPIRES_AT, c.expiresAt().orElse(null))
                .returning().fetchOne())));
    }

    /** The customer's credentials (active and revoked), by name; no secrets. */
    public List<Credential> list(String customerId) {
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> tx.selectFrom(REGISTRY_CREDENTIALS)
                .where(REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customerId))
                .orderBy(REGISTRY_CREDENTIALS.REGISTRY_NAME).fetch(Credential::of)));
    }

    public Optional<Credential> find(String customerId, UUID credentialId) {
        Checks.notNull(credentialId, "credentialId");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> tx.selectFrom(REGISTRY_CREDENTIALS)
                .where(REGISTRY_CREDENTIALS.ID.eq(credentialId).and(REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customerId)))
                .fetchOptional().map(Credential::of)));
    }

    /**
     * Decrypts the credential's secret. The only call that returns it.
     *
     * @throws UnknownCredentialException                  no such credential for this customer
     * @throws ConflictException                           the credential is revoked
     * @throws io.honua.db.crypto.DecryptionException      the ciphertext does not decrypt (wrong key, tampered)
     * @throws io.honua.db.crypto.UnknownKeyException      the key provider lacks the credential's key id
     */
    public RevealedCredential reveal(String customerId, UUID credentialId) {
        Checks.notNull(credentialId, "credentialId");
        RegistryCredentialsRecord r = call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> require(tx, customerId, credentialId)));
        if (!Boolean.TRUE.equals(r.getIsActive())) {
            throw new ConflictException("credential " + credentialId + " is revoked");
        }
        String secret = cipher.openText(r.getEncryptionKeyId(), r.getEncryptedSecret(), context(customerId));
        return new RevealedCredential(Credential.of(r), secret);
    }

    /** Replaces the secret (encrypted under the current key id); validation goes back to PENDING. */
    public Credential updateSecret(String customerId, UUID credentialId, String newSecret) {
        Checks.notNull(credentialId, "credentialId");
        Checks.notNull(newSecret, "secret");
        if (newSecret.isEmpty() || newSecret.length() > NewCredential.MAX_SECRET) {
            throw new InvalidRequestException("secret must be 1.." + NewCredential.MAX_SECRET + " characters");
        }
        EnvelopeCipher.Sealed sealed = cipher.sealText(cipher.keys().currentKeyId(), newSecret, context(customerId));
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
            RegistryCredentialsRecord r = tx.update(REGISTRY_CREDENTIALS)
                    .set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, sealed.ciphertext())
                    .set(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID, sealed.keyId())
                    .set(REGISTRY_CREDENTIALS.VALIDATION_STATUS, CredentialValidationStatus.PENDING.dbValue())
                    .setNull(REGISTRY_CREDENTIALS.VALIDATION_ERROR)
                    .where(REGISTRY_CREDENTIALS.ID.eq(credentialId).and(REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customerId)))
                    .and(REGISTRY_CREDENTIALS.IS_ACTIVE)
                    .returning().fetchOne();
            if (r == null) {
                RegistryCredentialsRecord existing = require(tx, customerId, credentialId);
                throw new ConflictException("credential " + existing.getId() + " is revoked");
            }
            return Credential.of(r);
        }));
    }

    /**
     * Records the outcome of checking the credential against its registry: status VALID, INVALID or EXPIRED, the
     * error (kept for INVALID / EXPIRED, cleared for VALID), and {@code last_validated_at = now()}.
     */
    public Credential recordValidation(String customerId, UUID credentialId, CredentialValidationStatus status, Optional<String> error) {
        Checks.notNull(credentialId, "credentialId");
        Checks.notNull(status, "status");
        Checks.notNull(error, "error");
        if (status == CredentialValidationStatus.PENDING) {
            throw new InvalidRequestException("a validation outcome is VALID, INVALID or EXPIRED, not PENDING");
        }
        error.ifPresent(e -> Checks.text(e, "error", MAX_ERROR));
        String storedError = status == CredentialValidationStatus.VALID ? null : error.orElse(null);
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
            RegistryCredentialsRecord r = tx.update(REGISTRY_CREDENTIALS)
                    .set(REGISTRY_CREDENTIALS.VALIDATION_STATUS, status.dbValue())
                    .set(REGISTRY_CREDENTIALS.VALIDATION_ERROR, storedError)
                    .set(REGISTRY_CREDENTIALS.LAST_VALIDATED_AT, DSL.currentInstant())
                    .where(REGISTRY_CREDENTIALS.ID.eq(credentialId).and(REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customerId)))
                    .returning().fetchOne();
            if (r == null) {
                throw new UnknownCredentialException("customer " + customerId + " has no credential " + credentialId);
            }
            return Credential.of(r);
        }));
    }

    /** Deactivates a credential (revoked_at = now()). Idempotent: revoking again keeps the first time. */
    public Credential revoke(String customerId, UUID credentialId) {
        Checks.notNull(credentialId, "credentialId");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
            tx.update(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.IS_ACTIVE, false)
                    .set(REGISTRY_CREDENTIALS.REVOKED_AT, DSL.currentInstant())
                    .where(REGISTRY_CREDENTIALS.ID.eq(credentialId).and(REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customerId)))
                    .and(REGISTRY_CREDENTIALS.IS_ACTIVE).execute();
            return Credential.of(require(tx, customerId, credentialId));
        }));
    }

    /** {@code revoke_expired_credentials()}: revokes credentials invalid for 7+ days or past their expiry; all customers. */
    public int revokeExpired() {
        Integer n = call(ERRORS, () -> Routines.revokeExpiredCredentials(dsl.configuration()));
        return n == null ? 0 : n;
    }

    /** Active credentials of all customers whose last validation failed, longest-failing first. */
    public List<InvalidCredential> invalidCredentials() {
        return call(ERRORS, () -> INVALID_REGISTRY_CREDENTIALS(dsl.configuration()).map(r -> new InvalidCredential(r.getId(),
                r.getCustomerId(), r.getRegistryName(), Optional.ofNullable(r.getValidationError()),
                Optional.ofNullable(r.getLastValidatedAt()))));
    }

    /** Active credentials of one customer whose last validation failed, by name. */
    public List<Credential> invalidCredentials(String customerId) {
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> tx.selectFrom(REGISTRY_CREDENTIALS)
                .where(REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customerId)).and(REGISTRY_CREDENTIALS.IS_ACTIVE)
                .and(REGISTRY_CREDENTIALS.VALIDATION_STATUS.eq(CredentialValidationStatus.INVALID.dbValue()))
                .orderBy(REGISTRY_CREDENTIALS.REGISTRY_NAME).fetch(Credential::of)));
    }

    // ---- key rotation ---------------------------------------------------------------------------------------------

    /** {@link #rotate(String, int)} in chunks of 500. */
    public RotationReport rotate(String newKeyId) {
        return rotate(newKeyId, DEFAULT_CHUNK);
    }

    /**
     * Re-encrypts every credential (active or revoked) not yet under {@code newKeyId} with a fresh data key wrapped
     * under it; one transaction per chunk of {@code chunkSize} rows. Resumable and idempotent.
     *
     * @throws io.honua.db.crypto.UnknownKeyException when the key provider has no {@code newKeyId} (nothing changed)
     */
    public RotationReport rotate(String newKeyId, int chunkSize) {
        return call(ERRORS, () -> KeyRotation.run(dsl, cipher.keys(), "registry_credentials", newKeyId, chunkSize, (tx, id, oldKeyId) -> {
            Record r = tx.select(REGISTRY_CREDENTIALS.CUSTOMER_ID, REGISTRY_CREDENTIALS.ENCRYPTED_SECRET).from(REGISTRY_CREDENTIALS)
                    .where(REGISTRY_CREDENTIALS.ID.eq(id).and(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID.eq(oldKeyId)))
                    .forUpdate().fetchOne();
            if (r == null) {
                return false;
            }
            String ctx = context(r.get(REGISTRY_CREDENTIALS.CUSTOMER_ID));
            byte[] secret = cipher.open(oldKeyId, r.get(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET), ctx);
            EnvelopeCipher.Sealed sealed;
            try {
                sealed = cipher.seal(newKeyId, secret, ctx);
            } finally {
                java.util.Arrays.fill(secret, (byte) 0);
            }
            tx.update(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, sealed.ciphertext())
                    .set(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID, sealed.keyId()).where(REGISTRY_CREDENTIALS.ID.eq(id)).execute();
            return true;
        }));
    }

    /** Rows per key id in every table holding envelope ciphertexts ({@code table -> keyId -> rows}). */
    public Map<String, Map<String, Long>> keyUsage() {
        return call(ERRORS, () -> KeyRotation.keyUsage(dsl));
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    static String context(String customerId) {
        return "honua:registry_credential:" + customerId;
    }

    private static RegistryCredentialsRecord require(DSLContext tx, String customerId, UUID credentialId) {
        RegistryCredentialsRecord r = tx.selectFrom(REGISTRY_CREDENTIALS)
                .where(REGISTRY_CREDENTIALS.ID.eq(credentialId).and(REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customerId))).fetchOne();
        if (r == null) {
            throw new UnknownCredentialException("customer " + customerId + " has no credential " + credentialId);
        }
        return r;
    }

}
