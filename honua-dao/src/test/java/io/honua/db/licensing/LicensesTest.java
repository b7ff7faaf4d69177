package io.honua.db.licensing;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.LICENSES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.internal.Secrets;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.NewBuild;
import io.honua.db.schema.generated.tables.records.LicensesRecord;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class LicensesTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(20);

    static DSLContext sql;
    static Licenses licenses;
    static BuildQueue queue;
    static final LocalKeyProvider keys = LocalKeyProvider.generate("lic-key-1");

    @BeforeAll
    static void setUp() {
        sql = fx.dsl();
        licenses = Fixtures.withKeys(fx.honua(), keys).licenses();
        queue = fx.honua().buildQueue();
    }

    static String customer() {
        return Fixtures.newCustomer(fx.honua());
    }

    static int builds(String customerId) {
        return sql.fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(customerId));
    }

    /** Moves a license into the past as superuser (the DAO cannot issue an expired license). */
    static void expire(UUID licenseId) {
        sql.update(LICENSES).set(LICENSES.ISSUED_AT, Instant.now().minus(10, ChronoUnit.DAYS))
                .set(LICENSES.EXPIRES_AT, Instant.now().minus(1, ChronoUnit.DAYS)).where(LICENSES.ID.eq(licenseId)).execute();
    }

    @Test
    void issueStoresHashAndEncryptedCopyAndVerifies() {
        String c = customer();
        IssuedLicense issued = licenses.issue(NewLicense.builder(c, Tier.PROFESSIONAL).maxBuildsPerMonth(500)
                .maxRegistries(3).maxConcurrentBuilds(4).flag("gpu", true).flag("sbom", false).build());
        License l = issued.license();
        assertThat(issued.key()).startsWith("hl_").hasSize(46);
        assertThat(issued.toString()).doesNotContain(issued.key());
        assertThat(l.status()).isEqualTo(LicenseStatus.ACTIVE);
        assertThat(l.valid()).isTrue();
        assertThat(l.maxBuildsPerMonth()).isEqualTo(500);
        assertThat(l.encryptionKeyId()).isEqualTo("lic-key-1");

        LicensesRecord row = sql.selectFrom(LICENSES).where(LICENSES.ID.eq(l.id())).fetchOne();
        assertThat(row.getLicenseKeyHash()).isEqualTo(Secrets.sha256Hex(issued.key()));
        assertThat(new String(row.getLicenseKeyEncrypted(), StandardCharsets.ISO_8859_1)).doesNotContain(issued.key());
        assertThat(row.getEncryptionKeyId()).isEqualTo("lic-key-1");

        LicenseCheck ok = licenses.verify(issued.key());
        assertThat(ok.verdict()).isEqualTo(LicenseCheck.Verdict.VALID);
        assertThat(ok.licenseId()).contains(l.id());
        assertThat(ok.customerId()).contains(c);
        assertThat(licenses.requireValid(issued.key()).valid()).isTrue();
        assertThat(licenses.revealKey(c, l.id())).isEqualTo(issued.key());
        assertThat(licenses.find(c, l.id())).contains(l);
        assertThat(licenses.list(c)).containsExactly(l);
        assertThat(licenses.featureFlags(c, l.id()).asMap()).isEqualTo(Map.of("gpu", true, "sbom", false));
    }

    @Test
    void wrongKeyIsNotValid() {
        String c = customer();
        IssuedLicense issued = licenses.issue(NewLicense.builder(c, Tier.FREE).build());
        String wrong = issued.key().substring(0, issued.key().length() - 1) + (issued.key().endsWith("A") ? "B" : "A");
        assertThat(licenses.verify(wrong).verdict()).isEqualTo(LicenseCheck.Verdict.UNKNOWN);
        assertThat(licenses.verify("hl_nothing").valid()).isFalse();
        assertThatThrownBy(() -> licenses.requireValid(wrong)).isInstanceOf(UnknownLicenseException.class);
        assertThatThrownBy(() -> licenses.verify(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> licenses.verify("x".repeat(201))).isInstanceOf(InvalidRequestException.class);
        // another customer cannot read or reveal it
        String other = customer();
        assertThat(licenses.find(other, issued.license().id())).isEmpty();
        assertThatThrownBy(() -> licenses.revealKey(other, issued.license().id())).isInstanceOf(UnknownLicenseException.class);
        // a provider without the key id cannot reveal it
        Licenses otherKeys = Fixtures.withKeys(fx.honua(), LocalKeyProvider.generate("unrelated")).licenses();
        assertThatThrownBy(() -> otherKeys.revealKey(c, issued.license().id()))
                .isInstanceOf(io.honua.db.crypto.UnknownKeyException.class);
        Licenses sameIdOtherMaterial = Fixtures.withKeys(fx.honua(), LocalKeyProvider.generate("lic-key-1")).licenses();
        assertThatThrownBy(() -> sameIdOtherMaterial.revealKey(c, issued.license().id()))
                .isInstanceOf(io.honua.db.crypto.DecryptionException.class);
    }

    @Test
    void expiredLicenseIsRefusedOnUse() {
        String c = customer();
        IssuedLicense issued = licenses.issue(NewLicense.builder(c, Tier.STANDARD).maxBuildsPerMonth(100)
                .expiresAt(Instant.now().plus(1, ChronoUnit.HOURS)).build());
        queue.enqueue(NewBuild.builder(c).build());
        expire(issued.license().id());

        assertThat(licenses.verify(issued.key()).verdict()).isEqualTo(LicenseCheck.Verdict.EXPIRED);
        assertThatThrownBy(() -> licenses.requireValid(issued.key()))
                .isInstanceOfSatisfying(InvalidLicenseException.class, e -> assertThat(e.verdict()).isEqualTo(LicenseCheck.Verdict.EXPIRED));
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(c).build())).isInstanceOf(InvalidLicenseException.class);
        assertThat(builds(c)).isEqualTo(1);
        assertThat(licenses.quotaUsage(c)).isEmpty();

        assertThat(licenses.expireLicenses()).isGreaterThanOrEqualTo(1);
        assertThat(licenses.find(c, issued.license().id()).orElseThrow().status()).isEqualTo(LicenseStatus.EXPIRED);
        assertThat(licenses.expireLicenses()).isZero();
    }

    @Test
    void revokeAndSuspend() {
        String c = customer();
        IssuedLicense issued = licenses.issue(NewLicense.builder(c, Tier.STANDARD).build());
        UUID id = issued.license().id();
        assertThat(licenses.suspend(c, id).status()).isEqualTo(LicenseStatus.SUSPENDED);
        assertThat(licenses.verify(issued.key()).verdict()).isEqualTo(LicenseCheck.Verdict.SUSPENDED);
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(c).build())).isInstanceOf(InvalidLicenseException.class);
        assertThat(licenses.reinstate(c, id).status()).isEqualTo(LicenseStatus.ACTIVE);
        assertThat(licenses.verify(issued.key()).valid()).isTrue();
        assertThat(licenses.revoke(c, id).status()).isEqualTo(LicenseStatus.REVOKED);
        assertThat(licenses.suspend(c, id).status()).as("revoked stays revoked").isEqualTo(LicenseStatus.REVOKED);
        assertThat(licenses.verify(issued.key()).verdict()).isEqualTo(LicenseCheck.Verdict.REVOKED);
        assertThatThrownBy(() -> licenses.reinstate(c, id)).isInstanceOf(io.honua.db.core.ConflictException.class);
        assertThatThrownBy(() -> licenses.revoke(customer(), id)).isInstanceOf(UnknownLicenseException.class);
    }

    /** HL003 from the enqueue trigger reports the state of the customer's newest license, not always EXPIRED. */
    @Test
    void refusedEnqueueReportsTheRealLicenseState() {
        String revoked = customer();
        licenses.revoke(revoked, licenses.issue(NewLicense.builder(revoked, Tier.STANDARD).build()).license().id());
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(revoked).build()))
                .isInstanceOfSatisfying(InvalidLicenseException.class, e -> assertThat(e.verdict()).isEqualTo(LicenseCheck.Verdict.REVOKED));

        String suspended = customer();
        licenses.suspend(suspended, licenses.issue(NewLicense.builder(suspended, Tier.STANDARD).build()).license().id());
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(suspended).build()))
                .isInstanceOfSatisfying(InvalidLicenseException.class, e -> assertThat(e.verdict()).isEqualTo(LicenseCheck.Verdict.SUSPENDED));

        String expired = customer();
        expire(licenses.issue(NewLicense.builder(expired, Tier.STANDARD).expiresAt(Instant.now().plus(1, ChronoUnit.HOURS)).build())
                .license().id());
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(expired).build()))
                .isInstanceOfSatisfying(InvalidLicenseException.class, e -> assertThat(e.verdict()).isEqualTo(LicenseCheck.Verdict.EXPIRED));
        assertThat(builds(revoked) + builds(suspended) + builds(expired)).isZero();
    }

    @Test
    void trialAndExpiringWithin() {
        String c = customer();
        Instant now = Instant.now();
        IssuedLicense trial = licenses.issue(NewLicense.builder(c, Tier.PROFESSIONAL).trialUntil(now.plus(Duration.ofDays(3))).build());
        IssuedLicense later = licenses.issue(NewLicense.builder(c, Tier.ENTERPRISE).expiresAt(now.plus(Duration.ofDays(30))).build());
        IssuedLicense soon = licenses.issue(NewLicense.builder(c, Tier.STANDARD).expiresAt(now.plus(Duration.ofDays(5))).build());
        assertThat(trial.license().status()).isEqualTo(LicenseStatus.TRIAL);
        assertThat(trial.license().trial()).isTrue();

        List<UUID> week = licenses.expiringWithin(Duration.ofDays(7)).stream().filter(e -> e.customerId().equals(c))
                .map(ExpiringLicense::licenseId).toList();
        assertThat(week).containsExactly(trial.license().id(), soon.license().id());
        assertThat(licenses.expiringWithin(Duration.ofDays(60)).stream().filter(e -> e.customerId().equals(c)))
                .extracting(ExpiringLicense::licenseId).containsExactly(trial.license().id(), soon.license().id(), later.license().id());

        // trial ended: expired by expire_licenses(), verify says EXPIRED even before that
        sql.update(LICENSES).set(LICENSES.ISSUED_AT, now.minus(Duration.ofDays(10)))
                .set(LICENSES.TRIAL_ENDS_AT, now.minus(Duration.ofDays(1))).where(LICENSES.ID.eq(trial.license().id())).execute();
        assertThat(licenses.verify(trial.key()).verdict()).isEqualTo(LicenseCheck.Verdict.EXPIRED);
        licenses.expireLicenses();
        assertThat(licenses.find(c, trial.license().id()).orElseThrow().status()).isEqualTo(LicenseStatus.EXPIRED);
        assertThatThrownBy(() -> licenses.expiringWithin(Duration.ofDays(-1))).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void featureFlagsTypedReadAndMalformedRejection() {
        String c = customer();
        UUID id = licenses.issue(NewLicense.builder(c, Tier.STANDARD).flag("a", true).build()).license().id();
        assertThat(licenses.setFeatureFlagsJson(c, id, "{\"gpu\": true, \"arm64\": false}").asMap())
                .isEqualTo(Map.of("gpu", true, "arm64", false));
        assertThat(licenses.featureFlags(c, id).isEnabled("gpu")).isTrue();
        assertThat(licenses.featureFlags(c, id).isEnabled("arm64")).isFalse();
        assertThat(licenses.featureFlags(c, id).isEnabled("absent")).isFalse();
        JSONB before = sql.select(LICENSES.FEATURE_FLAGS).from(LICENSES).where(LICENSES.ID.eq(id)).fetchOne(LICENSES.FEATURE_FLAGS);

        for (String bad : List.of("{not json", "[true]", "{\"gpu\": \"yes\"}", "{\"gpu\": 1}", "{\"bad name!\": true}", "42")) {
            assertThatThrownBy(() -> licenses.setFeatureFlagsJson(c, id, bad)).as(bad).isInstanceOf(MalformedFeatureFlagsException.class);
        }
        assertThatThrownBy(() -> licenses.setFeatureFlags(c, id, Map.of("has space", true))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> licenses.setFeatureFlagsJson(c, id, null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> licenses.setFeatureFlagsJson(c, id, "{}".repeat(60_000))).isInstanceOf(InvalidRequestException.class);
        assertThat(sql.select(LICENSES.FEATURE_FLAGS).from(LICENSES).where(LICENSES.ID.eq(id)).fetchOne(LICENSES.FEATURE_FLAGS))
                .isEqualTo(before);
        assertThatThrownBy(() -> licenses.setFeatureFlags(c, UUID.randomUUID(), Map.of("x", true)))
                .isInstanceOf(UnknownLicenseException.class);

        // a row written around the DAO (constraint dropped by a superuser): the typed read refuses it
        sql.execute("ALTER TABLE licenses DROP CONSTRAINT chk_licenses_feature_flags_boolean");
        try {
            sql.update(LICENSES).set(LICENSES.FEATURE_FLAGS, JSONB.valueOf("{\"gpu\": \"yes\"}")).where(LICENSES.ID.eq(id)).execute();
            assertThatThrownBy(() -> licenses.featureFlags(c, id)).isInstanceOf(MalformedFeatureFlagsException.class);
            sql.update(LICENSES).set(LICENSES.FEATURE_FLAGS, before).where(LICENSES.ID.eq(id)).execute();
        } finally {
            sql.execute("ALTER TABLE licenses ADD CONSTRAINT chk_licenses_feature_flags_boolean "
                    + "CHECK (feature_flags_valid(feature_flags)) NOT VALID");
        }
    }

    @Test
    void badInputChangesNothing() {
        int before = sql.fetchCount(LICENSES);
        assertThatThrownBy(() -> licenses.issue(NewLicense.builder("no-such-customer", Tier.FREE).build()))
                .isInstanceOf(UnknownCustomerException.class);
        String c = customer();
        assertThatThrownBy(() -> licenses.issue(NewLicense.builder(c, Tier.FREE).expiresAt(Instant.now().minusSeconds(60)).build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewLicense.builder(c, Tier.FREE).maxBuildsPerMonth(0).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> licenses.issue(NewLicense.builder(c, Tier.FREE).trialUntil(Instant.now().minusSeconds(60)).build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewLicense.builder("x".repeat(101), Tier.FREE).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewLicense.builder(c, null).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewLicense.builder(c, Tier.FREE).flag("x".repeat(101), true).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> licenses.issue(null)).isInstanceOf(InvalidRequestException.class);
        assertThat(sql.fetchCount(LICENSES)).isEqualTo(before);
        assertThat(licenses.list(c)).isEmpty();
    }

    @Test
    void enqueueBeyondBuildsPerMonthIsRefusedAndInsertsNothing() {
        String c = customer();
        licenses.issue(NewLicense.builder(c, Tier.STANDARD).maxBuildsPerMonth(5).build());
        for (int i = 0; i < 4; i++) {
            queue.enqueue(NewBuild.builder(c).build());
        }
        // a batch that would cross the limit is refused as a whole
        List<NewBuild> two = List.of(NewBuild.builder(c).build(), NewBuild.builder(c).build());
        assertThatThrownBy(() -> queue.enqueueAll(two)).isInstanceOfSatisfying(QuotaExceededException.class, e -> {
            assertThat(e.quota()).isEqualTo(Quota.BUILDS_PER_MONTH);
            assertThat(e.limit()).isEqualTo(5);
            assertThat(e.used()).isEqualTo(4);
        });
        assertThat(builds(c)).isEqualTo(4);
        queue.enqueue(NewBuild.builder(c).idempotencyKey("k").build());
        // an idempotent repeat is not a new build and does not count
        queue.enqueue(NewBuild.builder(c).idempotencyKey("k").build());
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(c).build())).isInstanceOf(QuotaExceededException.class);
        assertThat(builds(c)).isEqualTo(5);
        QuotaUsage usage = licenses.quotaUsage(c).orElseThrow();
        assertThat(usage.buildsThisMonth()).isEqualTo(5);
        assertThat(usage.maxBuildsPerMonth()).isEqualTo(5);
        assertThat(usage.buildsRemaining()).isZero();

        // a second valid license raises the cap (largest valid limit applies)
        licenses.issue(NewLicense.builder(c, Tier.ENTERPRISE).maxBuildsPerMonth(6).build());
        queue.enqueue(NewBuild.builder(c).build());
        assertThat(builds(c)).isEqualTo(6);
        assertThat(licenses.quotaUsage(c).orElseThrow().tier()).isEqualTo(Tier.ENTERPRISE);
        // a customer without any license is not capped
        String free = customer();
        for (int i = 0; i < 7; i++) {
            queue.enqueue(NewBuild.builder(free).build());
        }
        assertThat(builds(free)).isEqualTo(7);
        assertThat(licenses.quotaUsage(free)).isEmpty();
    }

    @Test
    void buildsPerMonthQuotaHoldsUnderConcurrentEnqueues() throws Exception {
        String c = customer();
        String other = customer();
        licenses.issue(NewLicense.builder(c, Tier.STANDARD).maxBuildsPerMonth(50).build());
        licenses.issue(NewLicense.builder(other, Tier.STANDARD).maxBuildsPerMonth(1000).build());
        int threads = 16;
        int perThread = 12;
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                all.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < perThread; i++) {
                        // multi-customer batches too: locks are taken in customer order, no deadlock
                        List<NewBuild> batch = i % 3 == 0
                                ? List.of(NewBuild.builder(other).build(), NewBuild.builder(c).build())
                                : List.of(NewBuild.builder(c).build());
                        try {
                            queue.enqueueAll(batch);
                            accepted.incrementAndGet();
                        } catch (QuotaExceededException e) {
                            refused.incrementAndGet();
                        }
                    }
                }, pool));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
        } finally {
            pool.shutdown();
        }
        assertThat(builds(c)).isEqualTo(50);
        assertThat(accepted.get()).isEqualTo(50);
        assertThat(refused.get()).isEqualTo(threads * perThread - 50);
        assertThat(licenses.quotaUsage(c).orElseThrow().buildsThisMonth()).isEqualTo(50);
        assertThat(licenses.quotaUsage(other).orElseThrow().buildsThisMonth()).isEqualTo(builds(other));
    }

    /** Sets the builds-per-month limit of a customer's licenses as superuser (a license change mid-month). */
    static void setMonthlyLimit(String customerId, int max) {
        sql.update(LICENSES).set(LICENSES.MAX_BUILDS_PER_MONTH, max).where(LICENSES.CUSTOMER_ID.eq(customerId)).execute();
    }

    @Test
    void buildsPerMonthQuotaFollowsALicenseChangeMidMonth() {
        String c = customer();
        licenses.issue(NewLicense.builder(c, Tier.STANDARD).maxBuildsPerMonth(30).build());
        for (int i = 0; i < 10; i++) {
            queue.enqueue(NewBuild.builder(c).build());
        }
        // lowered to 12: no more than 2 further builds are admitted
        setMonthlyLimit(c, 12);
        queue.enqueueAll(List.of(NewBuild.builder(c).build(), NewBuild.builder(c).build()));
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(c).build())).isInstanceOf(QuotaExceededException.class);
        assertThat(builds(c)).isEqualTo(12);
        // raised to 15: exactly 3 more
        setMonthlyLimit(c, 15);
        for (int i = 0; i < 3; i++) {
            queue.enqueue(NewBuild.builder(c).build());
        }
        assertThatThrownBy(() -> queue.enqueueAll(List.of(NewBuild.builder(c).build()))).isInstanceOf(QuotaExceededException.class);
        assertThat(builds(c)).isEqualTo(15);
        assertThat(licenses.quotaUsage(c).orElseThrow().buildsThisMonth()).isEqualTo(15);
    }

    @Test
    void quotaUsageReportsLimitsAndUsage() {
        String c = customer();
        licenses.issue(NewLicense.builder(c, Tier.PROFESSIONAL).maxBuildsPerMonth(10).maxRegistries(4)
                .maxConcurrentBuilds(2).build());
        queue.enqueue(NewBuild.builder(c).build());
        queue.enqueue(NewBuild.builder(c).build());
        queue.enqueue(NewBuild.builder(c).build());
        // claim everything claimable: the license caps this customer at 2 running builds
        queue.claim("w-" + c, 1000);
        QuotaUsage u = licenses.quotaUsage(c).orElseThrow();
        assertThat(u).isEqualTo(new QuotaUsage(c, Tier.PROFESSIONAL, 10, 3, 2, 2, 4, 0));
        assertThat(sql.fetchCount(DSL.selectFrom(BUILD_QUEUE).where(BUILD_QUEUE.CUSTOMER_ID.eq(c)).and(BUILD_QUEUE.STATUS.eq("building"))))
                .isEqualTo(2);
    }
}
