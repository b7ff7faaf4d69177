package io.honua.db.apikeys;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.API_KEYS;
import static io.honua.db.schema.generated.Tables.VERIFY_API_KEY;

import io.honua.db.internal.Tenancy;
import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.Checks;
import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.internal.Secrets;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.ApiKeysRecord;
import io.honua.db.schema.generated.tables.records.VerifyApiKeyRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * API keys for workers and services (seed 004): {@code hk_<8 base32>_<43 base64url>} (256 random bits after the
 * prefix).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Hashed at rest.</b> Only the SHA-256 of the key is stored; the key is returned once by {@link #create}.</li>
 *   <li><b>Verify</b> is one statement ({@code verify_api_key}, usable before the tenant is known): a valid key gets
 *       {@code last_used_at = now()} atomically; revoked, expired and unknown keys are reported, never accepted.</li>
 *   <li><b>Revoke</b> takes effect for every later verify; idempotent; never undone ({@code revoke_api_key}: the
 *       tenant and the administrative role may call it, nobody writes {@code api_keys} directly).</li>
 *   <li><b>Create</b> is administrative: {@code admin_create_api_key}, executable by {@code honua_admin} only
 *       (issue 12); a key's scopes are fixed for its life (revoke it and create another to change them).</li>
 *   <li>Bad input raises a subtype of {@link HonuaException} and changes nothing.</li>
 * </ul>
 * Thread-safe; share one instance.
 */
public final class ApiKeys {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.API_KEYS);

    public static final String KEY_PREFIX = "hk_";
    private static final int MAX_PRESENTED_KEY = 200;

    private final DSLContext dsl;

    ApiKeys(DSLContext dsl) {
        this.dsl = Checks.notNull(dsl, "dsl");
    }

    /**
     * Creates a key; the result carries its value, which is not stored anywhere.
     *
     * @throws UnknownCustomerException no such customer
     * @throws ConflictException        the customer has an unrevoked key with this name
     */
    public CreatedApiKey create(NewApiKey k) {
        Checks.notNull(k, "apiKey");
        String prefix = KEY_PREFIX + Secrets.randomBase32(8);
        String key = prefix + "_" + Secrets.randomToken(32);
        ApiKeysRecord r = call(ERRORS, () -> Tenancy.inTenant(dsl, k.customerId(), tx -> {
            UUID id = Routines.adminCreateApiKey(tx.configuration(), k.customerId(), k.name(), prefix, Secrets.sha256Hex(key),
                    k.scopes().stream().sorted().toArray(String[]::new), k.expiresAt().orElse(null));
            return tx.selectFrom(API_KEYS).where(API_KEYS.ID.eq(id)).fetchSingle();
        }));
        return new CreatedApiKey(of(r), key);
    }

    /**
     * Verifies a presented key. Never throws for a wrong key: the verdict says UNKNOWN.
     *
     * @throws io.honua.db.core.InvalidRequestException when the key is null, blank or longer than 200 characters
     */
    public ApiKeyCheck verify(String presentedKey) {
        Checks.text(presentedKey, "api key", MAX_PRESENTED_KEY);
        List<VerifyApiKeyRecord> rows = call(ERRORS, () -> VERIFY_API_KEY(dsl.configuration(), Secrets.sha256Hex(presentedKey)));
        if (rows.isEmpty()) {
            return new ApiKeyCheck(ApiKeyCheck.Verdict.UNKNOWN, Optional.empty());
        }
        VerifyApiKeyRecord r = rows.getFirst();
        ApiKey key = new ApiKey(r.getId(), r.getCustomerId(), r.getName(), r.getKeyPrefix(), scopes(r.getScopes()),
                r.getCreatedAt(), Optional.ofNullable(r.getLastUsedAt()), Optional.ofNullable(r.getExpiresAt()),
                Optional.ofNullable(r.getRevokedAt()));
        ApiKeyCheck.Verdict verdict = Boolean.TRUE.equals(r.getValid()) ? ApiKeyCheck.Verdict.VALID
                : key.revoked() ? ApiKeyCheck.Verdict.REVOKED : ApiKeyCheck.Verdict.EXPIRED;
        return new ApiKeyCheck(verdict, Optional.of(key));
    }

    /** Revokes a key (revoked_at = now()); idempotent, the first revocation time is kept. */
    public ApiKey revoke(String customerId, UUID apiKeyId) {
        Checks.notNull(apiKeyId, "apiKeyId");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> {
            Routines.revokeApiKey(tx.configuration(), customerId, apiKeyId);
            ApiKeysRecord r = tx.selectFrom(API_KEYS).where(API_KEYS.ID.eq(apiKeyId).and(API_KEYS.CUSTOMER_ID.eq(customerId))).fetchOne();
            if (r == null) {
                throw new UnknownApiKeyException("customer " + customerId + " has no API key " + apiKeyId);
            }
            return of(r);
        }));
    }

    /** The customer's keys (revoked ones too), oldest first; never the key values. */
    public List<ApiKey> list(String customerId) {
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> tx.selectFrom(API_KEYS)
                .where(API_KEYS.CUSTOMER_ID.eq(customerId)).orderBy(API_KEYS.CREATED_AT, API_KEYS.ID).fetch(ApiKeys::of)));
    }

    public Optional<ApiKey> find(String customerId, UUID apiKeyId) {
        Checks.notNull(apiKeyId, "apiKeyId");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> tx.selectFrom(API_KEYS)
                .where(API_KEYS.ID.eq(apiKeyId).and(API_KEYS.CUSTOMER_ID.eq(customerId))).fetchOptional().map(ApiKeys::of)));
    }

    private static ApiKey of(ApiKeysRecord r) {
        return new ApiKey(r.getId(), r.getCustomerId(), r.getName(), r.getKeyPrefix(), scopes(r.getScopes()), r.getCreatedAt(),
                Optional.ofNullable(r.getLastUsedAt()), Optional.ofNullable(r.getExpiresAt()), Optional.ofNullable(r.getRevokedAt()));
    }

    private static List<String> scopes(String[] scopes) {
        return scopes == null ? List.of() : Arrays.stream(scopes).sorted().toList();
    }

}
