package io.honua.db.credentials;

import static io.honua.db.schema.generated.Tables.LICENSES;
import static io.honua.db.schema.generated.Tables.REGISTRY_CREDENTIALS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.HonuaDb;
import io.honua.db.core.ConflictException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.crypto.DecryptionException;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.crypto.RotationReport;
import io.honua.db.crypto.UnknownKeyException;
import io.honua.db.licensing.InvalidLicenseException;
import io.honua.db.licensing.Licenses;
import io.honua.db.licensing.NewLicense;
import io.honua.db.licensing.Quota;
import io.honua.db.licensing.QuotaExceededException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RegistryCredentialsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(12);

    static DSLContext sql;
    static final LocalKeyProvider keys = LocalKeyProvider.generate("cred-key-1");
    static RegistryCredentials credentials;
    static Licenses licenses;

    @BeforeAll
    static void setUp() {
        sql = fx.dsl();
        HonuaDb keyed = Fixtures.withKeys(fx.honua(), keys);
        credentials = keyed.registryCredentials();
        licenses = keyed.licenses();
    }

    static String customer() {
        return Fixtures.newCustomer(fx.honua());
    }

    static NewCredential cred(String customer, String name, String secret) {
        return new NewCredential(customer, RegistryType.HARBOR, name, "https://harbor.example.com", "robot$ci", secret);
    }

    static int rows(String customer) {
        return sql.fetchCount(REGISTRY_CREDENTIALS, REGISTRY_CREDENTIALS.CUSTOMER_ID.eq(customer));
    }

    @Test
    void storeListRevealRoundTrip() {
        String c = customer();
        String secret = "dckr_pat_" + UUID.randomUUID();
        Credential stored = credentials.store(new NewCredential(c, RegistryType.DOCKERHUB, "hub", "https://index.docker.io/v1/",
                "ci-bot", secret).expiringAt(Instant.now().plus(90, ChronoUnit.DAYS)));
        credentials.store(new NewCredential(c, RegistryType.ECR, "aws", "https://1234.dkr.ecr.eu-west-1.amazonaws.com", "AWS", "ecr-token"));

        assertThat(stored.validationStatus()).isEqualTo(CredentialValidationStatus.PENDING);
        assertThat(stored.active()).isTrue();
        assertThat(stored.encryptionKeyId()).isEqualTo("cred-key-1");
        assertThat(stored.toString()).doesNotContain(secret);
        assertThat(credentials.list(c)).extracting(Credential::name).containsExactly("aws", "hub");
        assertThat(credentials.list(c)).extracting(Credential::type).containsExactly(RegistryType.ECR, RegistryType.DOCKERHUB);
        assertThat(credentials.find(c, stored.id())).contains(stored);

        byte[] atRest = sql.select(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET).from(REGISTRY_CREDENTIALS)
                .where(REGISTRY_CREDENTIALS.ID.eq(stored.id())).fetchOne(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET);
        assertThat(new String(atRest, StandardCharsets.ISO_8859_1)).doesNotContain(secret);

        RevealedCredential revealed = credentials.reveal(c, stored.id());
        assertThat(revealed.secret()).isEqualTo(secret);
        assertThat(revealed.toString()).doesNotContain(secret);

        Credential updated = credentials.updateSecret(c, stored.id(), "new-secret");
        assertThat(credentials.reveal(c, updated.id()).secret()).isEqualTo("new-secret");
    }

    @Test
    void otherTenantsAndOtherKeysCannotReveal() {
        String a = customer();
        String b = customer();
        Credential ca = credentials.store(cred(a, "reg", "secret-of-a"));
        Credential cb = credentials.store(cred(b, "reg", "secret-of-b"));
        assertThatThrownBy(() -> credentials.reveal(b, ca.id())).isInstanceOf(UnknownCredentialException.class);
        assertThat(credentials.find(b, ca.id())).isEmpty();
        assertThatThrownBy(() -> Fixtures.withKeys(fx.honua(), LocalKeyProvider.generate("cred-key-1")).registryCredentials().reveal(a, ca.id()))
                .isInstanceOf(DecryptionException.class);
        assertThatThrownBy(() -> Fixtures.withKeys(fx.honua(), LocalKeyProvider.generate("other")).registryCredentials().reveal(a, ca.id()))
                .isInstanceOf(UnknownKeyException.class);

        // a ciphertext copied into another tenant's row (superuser) does not decrypt there: it is bound to its customer
        byte[] aSecret = sql.select(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET).from(REGISTRY_CREDENTIALS)
                .where(REGISTRY_CREDENTIALS.ID.eq(ca.id())).fetchOne(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET);
        sql.update(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, aSecret)
                .where(REGISTRY_CREDENTIALS.ID.eq(cb.id())).execute();
        assertThatThrownBy(() -> credentials.reveal(b, cb.id())).isInstanceOf(DecryptionException.class);

        // one flipped byte at rest: refused, never a wrong plaintext
        aSecret[aSecret.length - 3] ^= 0x10;
        sql.update(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, aSecret)
                .where(REGISTRY_CREDENTIALS.ID.eq(ca.id())).execute();
        assertThatThrownBy(() -> credentials.reveal(a, ca.id())).isInstanceOf(DecryptionException.class);
    }

    @Test
    void validationStatusAndInvalidListing() {
        String c = customer();
        Credential x = credentials.store(cred(c, "x", "sx"));
        Credential y = credentials.store(cred(c, "y", "sy"));
        Credential valid = credentials.recordValidation(c, x.id(), CredentialValidationStatus.VALID, Optional.of("ignored"));
        assertThat(valid.validationStatus()).isEqualTo(CredentialValidationStatus.VALID);
        assertThat(valid.validationError()).isEmpty();
        assertThat(valid.lastValidatedAt()).isPresent();
        Credential invalid = credentials.recordValidation(c, y.id(), CredentialValidationStatus.INVALID, Optional.of("401 unauthorized"));
        assertThat(invalid.validationError()).contains("401 unauthorized");

        assertThat(credentials.invalidCredentials(c)).extracting(Credential::id).containsExactly(y.id());
        assertThat(credentials.invalidCredentials()).filteredOn(i -> i.customerId().equals(c))
                .extracting(InvalidCredential::id).containsExactly(y.id());

        assertThatThrownBy(() -> credentials.recordValidation(c, y.id(), CredentialValidationStatus.PENDING, Optional.empty()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> credentials.recordValidation(c, y.id(), CredentialValidationStatus.INVALID, Optional.of("e".repeat(2001))))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> credentials.recordValidation(customer(), y.id(), CredentialValidationStatus.VALID, Optional.empty()))
                .isInstanceOf(UnknownCredentialException.class);
        assertThat(credentials.find(c, y.id()).orElseThrow().validationStatus()).isEqualTo(CredentialValidationStatus.INVALID);
    }

    @Test
    void revokeAndRevokeExpired() {
        String c = customer();
        Credential stale = credentials.store(cred(c, "stale", "s1"));
        Credential expired = credentials.store(cred(c, "expired", "s2").expiringAt(Instant.now().plusSeconds(3600)));
        Credential fresh = credentials.store(cred(c, "fresh", "s3"));
        Credential manual = credentials.store(cred(c, "manual", "s4"));
        credentials.recordValidation(c, stale.id(), CredentialValidationStatus.INVALID, Optional.of("denied"));
        credentials.recordValidation(c, fresh.id(), CredentialValidationStatus.INVALID, Optional.of("denied"));
        sql.update(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.LAST_VALIDATED_AT, Instant.now().minus(8, ChronoUnit.DAYS))
                .where(REGISTRY_CREDENTIALS.ID.eq(stale.id())).execute();
        sql.update(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.EXPIRES_AT, Instant.now().minusSeconds(1))
                .where(REGISTRY_CREDENTIALS.ID.eq(expired.id())).execute();

        Credential revoked = credentials.revoke(c, manual.id());
        assertThat(revoked.active()).isFalse();
        assertThat(credentials.revoke(c, manual.id()).revokedAt()).isEqualTo(revoked.revokedAt());
        assertThatThrownBy(() -> credentials.reveal(c, manual.id())).isInstanceOf(ConflictException.class);

        assertThat(credentials.revokeExpired()).isGreaterThanOrEqualTo(2);
        assertThat(credentials.find(c, stale.id()).orElseThrow().active()).isFalse();
        Credential e = credentials.find(c, expired.id()).orElseThrow();
        assertThat(e.active()).isFalse();
        assertThat(e.validationStatus()).isEqualTo(CredentialValidationStatus.EXPIRED);
        assertThat(credentials.find(c, fresh.id()).orElseThrow().active()).as("invalid for less than 7 days").isTrue();
    }

    @Test
    void registriesQuotaIsEnforcedExactlyUnderConcurrency() throws Exception {
        String c = customer();
        licenses.issue(NewLicense.builder(c, Tier.STANDARD).maxRegistries(3).build());
        int threads = 10;
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService exec = Executors.newFixedThreadPool(threads);
        try {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int n = t;
                all.add(CompletableFuture.runAsync(() -> {
                    try {
                        credentials.store(cred(c, "reg-" + n, "secret-" + n));
                        ok.incrementAndGet();
                    } catch (QuotaExceededException e) {
                        assertThat(e.quota()).isEqualTo(Quota.REGISTRIES);
                        refused.incrementAndGet();
                    }
                }, exec));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
        } finally {
            exec.shutdown();
        }
        assertThat(ok.get()).isEqualTo(3);
        assertThat(refused.get()).isEqualTo(threads - 3);
        assertThat(rows(c)).isEqualTo(3);
        // a revoked credential frees its slot
        credentials.revoke(c, credentials.list(c).getFirst().id());
        credentials.store(cred(c, "replacement", "s"));
        assertThat(licenses.quotaUsage(c).orElseThrow().registriesUsed()).isEqualTo(3);
    }

    @Test
    void expiredLicenseRefusesNewCredentials() {
        String c = customer();
        UUID id = licenses.issue(NewLicense.builder(c, Tier.STANDARD).maxRegistries(5)
                .expiresAt(Instant.now().plusSeconds(3600)).build()).license().id();
        sql.update(LICENSES).set(LICENSES.ISSUED_AT, Instant.now().minus(3, ChronoUnit.DAYS))
                .set(LICENSES.EXPIRES_AT, Instant.now().minus(1, ChronoUnit.DAYS)).where(LICENSES.ID.eq(id)).execute();
        assertThatThrownBy(() -> credentials.store(cred(c, "r", "s"))).isInstanceOfSatisfying(InvalidLicenseException.class,
                e -> assertThat(e.verdict()).isEqualTo(io.honua.db.licensing.LicenseCheck.Verdict.EXPIRED));
        assertThat(rows(c)).isZero();
    }

    @Test
    void revokedLicenseRefusesNewCredentialsAsRevoked() {
        String c = customer();
        UUID id = licenses.issue(NewLicense.builder(c, Tier.STANDARD).maxRegistries(5).build()).license().id();
        licenses.revoke(c, id);
        assertThatThrownBy(() -> credentials.store(cred(c, "r", "s"))).isInstanceOfSatisfying(InvalidLicenseException.class,
                e -> assertThat(e.verdict()).isEqualTo(io.honua.db.licensing.LicenseCheck.Verdict.REVOKED));
        assertThat(rows(c)).isZero();
    }

    @Test
    void badInputChangesNothing() {
        String c = customer();
        credentials.store(cred(c, "dup", "s"));
        int before = sql.fetchCount(REGISTRY_CREDENTIALS);
        assertThatThrownBy(() -> credentials.store(cred(c, "dup", "other"))).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> credentials.store(cred("no-such-customer", "r", "s"))).isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> cred(c, "x".repeat(201), "s")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new NewCredential(c, RegistryType.GCR, "g", "https://" + "u".repeat(2000), "u", "s"))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> cred(c, "big", "s".repeat(NewCredential.MAX_SECRET + 1))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> cred(c, "empty", "")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new NewCredential(c, null, "n", "u", "u", "s")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> credentials.store(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> credentials.reveal(c, null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> credentials.reveal(c, UUID.randomUUID())).isInstanceOf(UnknownCredentialException.class);
        assertThatThrownBy(() -> credentials.list(null)).isInstanceOf(InvalidRequestException.class);
        assertThat(sql.fetchCount(REGISTRY_CREDENTIALS)).isEqualTo(before);
    }

    @Test
    void rotationWithUnknownTargetKeyChangesNothing() {
        String c = customer();
        credentials.store(cred(c, "r", "s"));
        assertThatThrownBy(() -> credentials.rotate("not-a-key")).isInstanceOf(UnknownKeyException.class);
        assertThatThrownBy(() -> credentials.rotate("cred-key-1", 0)).isInstanceOf(InvalidRequestException.class);
        RotationReport same = credentials.rotate("cred-key-1");
        assertThat(same.reencrypted()).isZero();
        assertThat(same.complete()).isTrue();
    }
}
