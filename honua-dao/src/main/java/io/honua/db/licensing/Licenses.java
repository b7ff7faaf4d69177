package io.honua.db.licensing;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.GET_LICENSE_QUOTA_USAGE;
import static io.honua.db.schema.generated.Tables.LICENSES;
import static io.honua.db.schema.generated.Tables.LICENSES_EXPIRING_WITHIN;
import static io.honua.db.schema.generated.Tables.LICENSE_FEATURE_FLAGS;
import static io.honua.db.schema.generated.Tables.VERIFY_LICENSE_KEY;

import io.honua.db.internal.Tenancy;
import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.Checks;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.EnvelopeCipher;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.crypto.KeyRotation;
import io.honua.db.crypto.RotationReport;
import io.honua.db.internal.QuotaUsageRows;
import io.honua.db.internal.Secrets;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.LicenseFeatureFlagsRecord;
import io.honua.db.schema.generated.tables.records.VerifyLicenseKeyRecord;
import io.honua.db.types.Tier;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;

/**
 * Licenses: issue (the key is returned once, stored as SHA-256 hash plus an envelope-encrypted copy under the key
 * provider's current key id), verify a presented key, feature flags, quotas, trials and expiry, key rotation.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>No plaintext key at rest.</b> Only {@code license_key_hash} (SHA-256 hex) and
 *       {@code license_key_encrypted} (AES-256-GCM envelope, bound to the customer) are stored;
 *       {@link #revealKey} decrypts on explicit request only.</li>
 *   <li><b>Quotas are enforced by the database</b> (migration V11): an enqueue beyond {@code max_builds_per_month}
 *       fails with {@link QuotaExceededException} ({@link Quota#BUILDS_PER_MONTH}), a credential beyond
 *       {@code max_registries} too ({@link Quota#REGISTRIES}); a customer whose licenses are all expired, revoked or
 *       suspended gets {@link InvalidLicenseException}. A customer with no license at all is not capped. Exact under
 *       any concurrency.</li>
 *   <li><b>Tenant scoped.</b> Operations on a customer's licenses run in {@link io.honua.db.internal.Tenancy#inTenant}; verifying a
 *       key (tenant not yet known) and the cross-customer expiry list use SECURITY DEFINER functions that return no
 *       secret.</li>
 *   <li><b>Administrative.</b> Issue, suspend, revoke, reinstate, feature flags and key rotation call the owner-rights
 *       functions {@code admin_issue_license}, {@code admin_set_license_status}, {@code admin_reinstate_license},
 *       {@code admin_set_license_feature_flags}, {@code admin_rekey_license} (issue 12, V18): executable by
 *       {@code honua_admin} only, each change one audit event with the caller as actor. Other roles get a
 *       {@link io.honua.db.core.HonuaException} ("permission denied") and nothing changes.</li>
 *   <li><b>Bad input</b> (null, oversized, unknown customer, malformed flags, expiry in the past) raises a subtype of
 *       {@link io.honua.db.core.HonuaException} and changes nothing.</li>
 * </ul>
 * Thread-safe; share one instance.
 */
public final class Licenses {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.LICENSES);

    /** Prefix of every license key; the rest is 256 random bits, URL-safe Base64. */
    public static final String KEY_PREFIX = "hl_";
    private static final int MAX_PRESENTED_KEY = 200;
    private static final int MAX_FLAGS_JSON = 100_000;
    private static final int DEFAULT_CHUNK = 500;

    private static final Field<Boolean> VALID =
            Routines.licenseIsValid(LICENSES.STATUS, LICENSES.IS_TRIAL, LICENSES.TRIAL_ENDS_AT, LICENSES.EXPIRES_AT).as("valid");

    private final DSLContext dsl;
    private final EnvelopeCipher cipher;

    Licenses(DSLContext dsl, KeyProvider keys) {
        this.dsl = Checks.notNull(dsl, "dsl");
        this.cipher = new EnvelopeCipher(Checks.notNull(keys, "keys"));
    }

    // ---- issue / verify -------------------------------------------------------------------------------------------

    /**
     * Issues a license: ACTIVE, or TRIAL when {@link NewLicense#trialEndsAt()} is set. The key is in the result and
     * nowhere else in clear.
     *
     * @throws UnknownCustomerException when the customer does not exist
     * @throws InvalidRequestException  on bad limits, flags or an expiry not in the future
     */
    public IssuedLicense issue(NewLicense license) {
        Checks.notNull(license, "license");
        if (license.trialEndsAt().isPresent() && !license.trialEndsAt().get().isAfter(java.time.Instant.now())) {
            throw new InvalidRequestException("a trial must end in the future, got " + license.trialEndsAt().get());
        }
        String key = KEY_PREFIX + Secrets.randomToken(32);
        String keyId = cipher.keys().currentKeyId();
        EnvelopeCipher.Sealed sealed = cipher.sealText(keyId, key, context(license.customerId()));
        return call(ERRORS, () -> Tenancy.inTenant(dsl, license.customerId(), tx -> {
            UUID id = Routines.adminIssueLicense(tx.configuration(), license.customerId(), license.tier().dbValue(),
                    Secrets.sha256Hex(key), sealed.ciphertext(), sealed.keyId(), flagsJson(license.featureFlags()),
                    license.maxBuildsPerMonth(), license.maxRegistries(), license.maxConcurrentBuilds(),
                    license.trialEndsAt().orElse(null), license.expiresAt().orElse(null));
            return new IssuedLicense(fetch(tx, LICENSES.ID.eq(id)).getFirst(), key);
        }));
    }

    /**
     * Verifies a presented key by its SHA-256 hash. Never throws for a wrong key: the verdict says UNKNOWN.
     *
     * @throws InvalidRequestException when the key is null, blank or longer than 200 characters
     */
    public LicenseCheck verify(String presentedKey) {
        Checks.text(presentedKey, "license key", MAX_PRESENTED_KEY);
        List<VerifyLicenseKeyRecord> rows = call(ERRORS, () -> VERIFY_LICENSE_KEY(dsl.configuration(), Secrets.sha256Hex(presentedKey)));
        if (rows.isEmpty()) {
            return LicenseCheck.unknown();
        }
        VerifyLicenseKeyRecord r = rows.getFirst();
        LicenseCheck.Verdict verdict;
        if (Boolean.TRUE.equals(r.getValid())) {
            verdict = LicenseCheck.Verdict.VALID;
        } else {
            verdict = switch (r.get(VERIFY_LICENSE_KEY.STATUS, dbEnum(LicenseStatus.class))) {
                case REVOKED -> LicenseCheck.Verdict.REVOKED;
                case SUSPENDED -> LicenseCheck.Verdict.SUSPENDED;
                default -> LicenseCheck.Verdict.EXPIRED;
            };
        }
        return new LicenseCheck(verdict, Optional.of(r.getId()), Optional.of(r.getCustomerId()));
    }

    /**
     * Verifies a presented key and insists it is valid.
     *
     * @throws UnknownLicenseException when no license has this key
     * @throws InvalidLicenseException when it is expired, revoked or suspended
     */
    public LicenseCheck requireValid(String presentedKey) {
        LicenseCheck check = verify(presentedKey);
        switch (check.verdict()) {
            case VALID -> {
                return check;
            }
            case UNKNOWN -> throw new UnknownLicenseException("no license has this key");
            default -> throw new InvalidLicenseException(check.verdict(),
                    "license " + check.licenseId().orElseThrow() + " is " + check.verdict(), null);
        }
    }

    // ---- reading --------------------------------------------------------------------------------------------------

    public Optional<License> find(String customerId, UUID licenseId) {
        Checks.notNull(licenseId, "licenseId");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx ->
                fetch(tx, LICENSES.ID.eq(licenseId).and(LICENSES.CUSTOMER_ID.eq(customerId))).stream().findFirst()));
    }

    /** All licenses of the customer, oldest issued first. */
    public List<License> list(String customerId) {
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> fetch(tx, LICENSES.CUSTOMER_ID.eq(customerId))));
    }

    /**
     * Decrypts the stored copy of the license key. Explicit on purpose: the only call that returns a key after issue.
     *
     * @throws UnknownLicenseException                 no such license for this customer
     * @throws io.honua.db.crypto.DecryptionException  the stored copy does not decrypt with the key provider
     */
    public String revealKey(String customerId, UUID licenseId) {
        Checks.notNull(licenseId, "licenseId");
        Record r = call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx ->
                tx.select(LICENSES.LICENSE_KEY_ENCRYPTED, LICENSES.ENCRYPTION_KEY_ID).from(LICENSES)
                        .where(LICENSES.ID.eq(licenseId).and(LICENSES.CUSTOMER_ID.eq(customerId))).fetchOne()));
        if (r == null) {
            throw new UnknownLicenseException("customer " + customerId + " has no license " + licenseId);
        }
        return cipher.openText(r.get(LICENSES.ENCRYPTION_KEY_ID), r.get(LICENSES.LICENSE_KEY_ENCRYPTED), context(customerId));
    }

    /**
     * The license's feature flags, typed.
     *
     * @throws MalformedFeatureFlagsException when the stored JSON has a non-boolean value (written around the DAO)
     * @throws UnknownLicenseException        no such license for this customer
     */
    public FeatureFlags featureFlags(String customerId, UUID licenseId) {
        Checks.notNull(licenseId, "licenseId");
        List<LicenseFeatureFlagsRecord> rows = call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
            requireExists(tx, customerId, licenseId);
            return LICENSE_FEATURE_FLAGS(tx.configuration(), licenseId);
        }));
        Map<String, Boolean> flags = new LinkedHashMap<>();
        for (LicenseFeatureFlagsRecord r : rows) {
            if (!"boolean".equals(r.getValueType())) {
                throw new MalformedFeatureFlagsException("feature flag " + r.getFlag() + " of license " + licenseId
                        + " is a JSON " + r.getValueType() + ", not a boolean");
            }
            flags.put(r.getFlag(), r.getEnabled());
        }
        try {
            return new FeatureFlags(flags);
        } catch (InvalidRequestException e) {
            throw new MalformedFeatureFlagsException("stored feature flags of license " + licenseId + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the license's feature flags. */
    public FeatureFlags setFeatureFlags(String customerId, UUID licenseId, Map<String, Boolean> flags) {
        Checks.notNull(licenseId, "licenseId");
        FeatureFlags checked = new FeatureFlags(flags);
        updateFlags(customerId, licenseId, flagsJson(checked.asMap()));
        return checked;
    }

    /**
     * Replaces the license's feature flags from JSON text, e.g. {@code {"gpu": true, "sbom": false}}.
     *
     * @throws MalformedFeatureFlagsException when the text is not JSON, not an object, or has a non-boolean value or a
     *                                        bad name (nothing changed)
     */
    public FeatureFlags setFeatureFlagsJson(String customerId, UUID licenseId, String json) {
        Checks.notNull(licenseId, "licenseId");
        Checks.text(json, "feature flags JSON", MAX_FLAGS_JSON);
        updateFlags(customerId, licenseId, JSONB.valueOf(json));
        return featureFlags(customerId, licenseId);
    }

    private void updateFlags(String customerId, UUID licenseId, JSONB flags) {
        try {
            call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
                Routines.adminSetLicenseFeatureFlags(tx.configuration(), customerId, licenseId, flags);
                return null;
            }));
        } catch (InvalidRequestException e) {
            throw e instanceof MalformedFeatureFlagsException ? e
                    : new MalformedFeatureFlagsException("feature flags rejected: " + e.getMessage(), e);
        }
    }

    // ---- status ---------------------------------------------------------------------------------------------------

    /** Revokes a license for good: its key verifies as REVOKED from now on. Idempotent. */
    public License revoke(String customerId, UUID licenseId) {
        return setStatus(customerId, licenseId, LicenseStatus.REVOKED);
    }

    /** Suspends a license (verifies as SUSPENDED); {@link #reinstate} undoes it. */
    public License suspend(String customerId, UUID licenseId) {
        return setStatus(customerId, licenseId, LicenseStatus.SUSPENDED);
    }

    /**
     * Makes a suspended license ACTIVE (TRIAL for a trial) again.
     *
     * @throws io.honua.db.core.ConflictException when it is not suspended
     */
    public License reinstate(String customerId, UUID licenseId) {
        Checks.notNull(licenseId, "licenseId");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
            Routines.adminReinstateLicense(tx.configuration(), customerId, licenseId);
            return requireExists(tx, customerId, licenseId);
        }));
    }

    private License setStatus(String customerId, UUID licenseId, LicenseStatus status) {
        Checks.notNull(licenseId, "licenseId");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
            Routines.adminSetLicenseStatus(tx.configuration(), customerId, licenseId, status.dbValue());
            return requireExists(tx, customerId, licenseId);
        }));
    }

    /** Marks active and trial licenses past their expiry or trial end EXPIRED ({@code expire_licenses()}); all customers. */
    public int expireLicenses() {
        Integer n = call(ERRORS, () -> Routines.expireLicenses(dsl.configuration()));
        return n == null ? 0 : n;
    }

    /** Valid licenses (all customers) whose expiry or trial end falls within {@code window} from now, soonest first. */
    public List<ExpiringLicense> expiringWithin(Duration window) {
        Checks.notNull(window, "window");
        if (window.isNegative()) {
            throw new InvalidRequestException("window must not be negative");
        }
        return call(ERRORS, () -> LICENSES_EXPIRING_WITHIN(dsl.configuration(), window.toSeconds()).map(r ->
                new ExpiringLicense(r.getId(), r.getCustomerId(), r.get(LICENSES_EXPIRING_WITHIN.TIER, dbEnum(Tier.class)),
                        r.get(LICENSES_EXPIRING_WITHIN.STATUS, dbEnum(LicenseStatus.class)),
                        Boolean.TRUE.equals(r.getIsTrial()), r.getEndsAt())));
    }

    /** The customer's quota limits and usage; empty when it has no valid license. */
    public Optional<QuotaUsage> quotaUsage(String customerId) {
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx ->
                GET_LICENSE_QUOTA_USAGE(tx.configuration(), customerId).stream().findFirst().map(QuotaUsageRows::quotaUsage)));
    }

    // ---- key rotation ---------------------------------------------------------------------------------------------

    /** {@link #rotate(String, int)} in chunks of 500. */
    public RotationReport rotate(String newKeyId) {
        return rotate(newKeyId, DEFAULT_CHUNK);
    }

    /**
     * Re-encrypts the stored copy of every license key not yet under {@code newKeyId}, one transaction per chunk.
     * Resumable and idempotent; see {@link KeyRotation}.
     *
     * @throws io.honua.db.crypto.UnknownKeyException when the key provider has no {@code newKeyId} (nothing changed)
     */
    public RotationReport rotate(String newKeyId, int chunkSize) {
        return call(ERRORS, () -> KeyRotation.run(dsl, cipher.keys(), "licenses", newKeyId, chunkSize, (tx, id, oldKeyId) -> {
            Record r = tx.select(LICENSES.CUSTOMER_ID, LICENSES.LICENSE_KEY_ENCRYPTED).from(LICENSES)
                    .where(LICENSES.ID.eq(id).and(LICENSES.ENCRYPTION_KEY_ID.eq(oldKeyId))).fetchOne();
            if (r == null) {
                return false;   // changed or deleted meanwhile
            }
            String customerId = r.get(LICENSES.CUSTOMER_ID);
            byte[] old = r.get(LICENSES.LICENSE_KEY_ENCRYPTED);
            String ctx = context(customerId);
            String key = cipher.openText(oldKeyId, old, ctx);
            EnvelopeCipher.Sealed sealed = cipher.sealText(newKeyId, key, ctx);
            // compare and set: replaced only while the stored copy is still the one decrypted here
            return Boolean.TRUE.equals(Routines.adminRekeyLicense(tx.configuration(), customerId, id, oldKeyId, old,
                    sealed.keyId(), sealed.ciphertext()));
        }));
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    static String context(String customerId) {
        return "honua:license:" + customerId;
    }

    /** The flags as a JSON object; names are already checked by {@link FeatureFlags} ({@code [A-Za-z0-9_.:-]}). */
    static JSONB flagsJson(Map<String, Boolean> flags) {
        StringBuilder json = new StringBuilder("{");
        flags.forEach((k, v) -> {
            if (json.length() > 1) {
                json.append(", ");
            }
            json.append('"');
            for (char ch : k.toCharArray()) {
                if (ch == '"' || ch == '\\') {
                    json.append('\\').append(ch);
                } else if (ch < 0x20) {
                    json.append(String.format("\\u%04x", (int) ch));
                } else {
                    json.append(ch);
                }
            }
            json.append("\": ").append(Boolean.TRUE.equals(v));
        });
        return JSONB.valueOf(json.append('}').toString());
    }

    private static List<License> fetch(DSLContext tx, Condition where) {
        return tx.select(LICENSES.fields()).select(VALID).from(LICENSES).where(where)
                .orderBy(LICENSES.ISSUED_AT, LICENSES.ID)
                .fetch(r -> License.of(r.into(LICENSES), Boolean.TRUE.equals(r.get(VALID))));
    }

    private static License requireExists(DSLContext tx, String customerId, UUID licenseId) {
        return fetch(tx, LICENSES.ID.eq(licenseId).and(LICENSES.CUSTOMER_ID.eq(customerId))).stream().findFirst()
                .orElseThrow(() -> new UnknownLicenseException("customer " + customerId + " has no license " + licenseId));
    }

}
