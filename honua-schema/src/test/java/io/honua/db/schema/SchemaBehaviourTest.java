package io.honua.db.schema;

import static io.honua.db.schema.generated.Tables.ACTIVE_BUILDS;
import static io.honua.db.schema.generated.Tables.ACTIVE_CONVERSATIONS;
import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.BUILD_CACHE_REGISTRY;
import static io.honua.db.schema.generated.Tables.BUILD_MANIFESTS;
import static io.honua.db.schema.generated.Tables.BUILD_PERFORMANCE_SUMMARY;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static io.honua.db.schema.generated.Tables.CONVERSATIONS;
import static io.honua.db.schema.generated.Tables.CONVERSATION_MESSAGES;
import static io.honua.db.schema.generated.Tables.CONVERSATION_PERFORMANCE_SUMMARY;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static io.honua.db.schema.generated.Tables.CUSTOMER_BUILD_USAGE;
import static io.honua.db.schema.generated.Tables.EXTRACTION_ACCURACY;
import static io.honua.db.schema.generated.Tables.GET_CACHE_HIT_RATE;
import static io.honua.db.schema.generated.Tables.GET_LICENSE_QUOTA_USAGE;
import static io.honua.db.schema.generated.Tables.GET_NEXT_BUILD_FOR_WORKER;
import static io.honua.db.schema.generated.Tables.INTENT_ANALYTICS;
import static io.honua.db.schema.generated.Tables.LICENSES;
import static io.honua.db.schema.generated.Tables.REGISTRY_CREDENTIALS;
import static io.honua.db.schema.generated.Tables.REQUIREMENT_EXTRACTIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.BuildQueueRecord;
import io.honua.db.schema.generated.tables.records.GetCacheHitRateRecord;
import io.honua.db.schema.generated.tables.records.GetLicenseQuotaUsageRecord;
import io.honua.db.testkit.HonuaDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.jooq.Configuration;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Result;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every function and view of the specification called through the generated classes on seeded rows, and the
 * constraints rejecting bad values. Each test uses its own customer, so tests are independent.
 */
class SchemaBehaviourTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    static DSLContext dsl;
    static Configuration cfg;

    @BeforeAll
    static void connect() {
        dsl = DSL.using(db.dataSource(), SQLDialect.POSTGRES);
        cfg = dsl.configuration();
    }

    static String hash(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes()));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String customer(String tier) {
        String id = "c-" + UUID.randomUUID().toString().substring(0, 8);
        dsl.insertInto(CUSTOMERS).set(CUSTOMERS.CUSTOMER_ID, id).set(CUSTOMERS.NAME, "Customer " + id)
                .set(CUSTOMERS.TIER, tier).set(CUSTOMERS.SUBSCRIPTION_STATUS, "active").execute();
        return id;
    }

    static UUID build(String customer, int priority) {
        return dsl.insertInto(BUILD_QUEUE).set(BUILD_QUEUE.CUSTOMER_ID, customer).set(BUILD_QUEUE.PRIORITY, (short) priority)
                .returning(BUILD_QUEUE.ID).fetchOne(BUILD_QUEUE.ID);
    }

    static UUID license(String customer, Instant expiresAt) {
        return dsl.insertInto(LICENSES).set(LICENSES.CUSTOMER_ID, customer).set(LICENSES.TIER, "professional")
                .set(LICENSES.STATUS, "active").set(LICENSES.LICENSE_KEY_HASH, hash(UUID.randomUUID().toString()))
                .set(LICENSES.LICENSE_KEY_ENCRYPTED, new byte[] {9}).set(LICENSES.ENCRYPTION_KEY_ID, "k1")
                .set(LICENSES.MAX_BUILDS_PER_MONTH, 500).set(LICENSES.MAX_REGISTRIES, 3).set(LICENSES.MAX_CONCURRENT_BUILDS, 4)
                .set(LICENSES.ISSUED_AT, Instant.now().minus(Duration.ofDays(30)))
                .set(LICENSES.EXPIRES_AT, expiresAt)
                .returning(LICENSES.ID).fetchOne(LICENSES.ID);
    }

    // ---- cache -------------------------------------------------------------------------------------------------

    @Test
    void recordCacheAccessLogsAndUpdateCacheStatsCountsHits() {
        String c = customer("enterprise");
        String h = hash("manifest-" + c);
        UUID entry = dsl.insertInto(BUILD_CACHE_REGISTRY).set(BUILD_CACHE_REGISTRY.MANIFEST_HASH, h)
                .set(BUILD_CACHE_REGISTRY.TIER, "standard").set(BUILD_CACHE_REGISTRY.IMAGE_REFERENCE, "reg/app:1")
                .set(BUILD_CACHE_REGISTRY.IMAGE_DIGEST, "sha256:1").returning(BUILD_CACHE_REGISTRY.ID).fetchOne(BUILD_CACHE_REGISTRY.ID);

        Long first = Routines.recordCacheAccess(cfg, c, h, "standard", true);
        Long second = Routines.recordCacheAccess(cfg, c, h, "standard", true);
        Long miss = Routines.recordCacheAccess(cfg, c, hash("other"), "standard", true);   // no such entry: a miss

        assertThat(second).isGreaterThan(first);
        assertThat(dsl.fetchOne(BUILD_CACHE_REGISTRY, BUILD_CACHE_REGISTRY.ID.eq(entry)).getHitCount()).isEqualTo(2L);
        assertThat(dsl.fetchOne(BUILD_CACHE_REGISTRY, BUILD_CACHE_REGISTRY.ID.eq(entry)).getLastHitAt()).isNotNull();
        assertThat(dsl.selectFrom(BUILD_ACCESS_LOG).where(BUILD_ACCESS_LOG.ID.eq(miss)).fetchOne().getAccessType()).isEqualTo("miss");

        Result<GetCacheHitRateRecord> rate = GET_CACHE_HIT_RATE(cfg, c, 7);
        assertThat(rate).singleElement().satisfies(r -> {
            assertThat(r.getTotalAccesses()).isEqualTo(3);
            assertThat(r.getHits()).isEqualTo(2);
            assertThat(r.getMisses()).isEqualTo(1);
            assertThat(r.getHitRate()).isEqualByComparingTo("0.6667");
        });
        assertThat(GET_CACHE_HIT_RATE(cfg, null, 7)).extracting(GetCacheHitRateRecord::getCustomerId).contains(c);
    }

    // ---- queue -------------------------------------------------------------------------------------------------

    @Test
    void queueFunctionsClaimProgressTimeOutAndRetry() {
        String c = customer("free");
        dsl.deleteFrom(BUILD_QUEUE).where(BUILD_QUEUE.STATUS.eq("queued")).execute(); // other tests' leftovers
        UUID low = build(c, 2);
        UUID high = build(c, 9);

        Result<BuildQueueRecord> next = GET_NEXT_BUILD_FOR_WORKER(cfg, "worker-a");
        assertThat(next).singleElement().satisfies(r -> {
            assertThat(r.getId()).isEqualTo(high);
            assertThat(r.getStatus()).isEqualTo("building");
            assertThat(r.getWorkerId()).isEqualTo("worker-a");
            assertThat(r.getAttempts()).isEqualTo(1);
        });

        assertThat(Routines.updateBuildProgress(cfg, high, "worker-a", 60, "pushing image")).isTrue();
        assertThat(Routines.updateBuildProgress(cfg, high, "worker-b", 70, "not mine")).isFalse();
        BuildQueueRecord progressed = dsl.fetchOne(BUILD_QUEUE, BUILD_QUEUE.ID.eq(high));
        assertThat(progressed.getProgressPercent()).isEqualTo((short) 60);
        assertThat(progressed.getCurrentStep()).isEqualTo("pushing image");
        assertThatThrownBy(() -> Routines.updateBuildProgress(cfg, high, "worker-a", 101, "x"))
                .isInstanceOf(DataAccessException.class).hasMessageContaining("progress must be 0..100");

        // the lease runs out: handle_build_timeouts requeues (attempts remain)
        dsl.update(BUILD_QUEUE).set(BUILD_QUEUE.LEASE_EXPIRES_AT, Instant.now().minusSeconds(5)).where(BUILD_QUEUE.ID.eq(high)).execute();
        assertThat(Routines.handleBuildTimeouts(cfg)).isEqualTo(1);
        assertThat(dsl.fetchOne(BUILD_QUEUE, BUILD_QUEUE.ID.eq(high)).getStatus()).isEqualTo("queued");

        // a failed build with attempts left is requeued by retry_failed_build
        dsl.update(BUILD_QUEUE).set(BUILD_QUEUE.STATUS, "failed").set(BUILD_QUEUE.ATTEMPTS, 1).where(BUILD_QUEUE.ID.eq(low)).execute();
        assertThat(Routines.retryFailedBuild(cfg, low)).isTrue();
        assertThat(Routines.retryFailedBuild(cfg, low)).as("already queued").isFalse();
        assertThat(dsl.fetchOne(BUILD_QUEUE, BUILD_QUEUE.ID.eq(low)).getStatus()).isEqualTo("queued");

        assertThat(dsl.selectFrom(ACTIVE_BUILDS).where(ACTIVE_BUILDS.CUSTOMER_ID.eq(c)).fetch()).hasSize(2)
                .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo("queued"));
    }

    @Test
    void buildViewsSummariseFinishedBuilds() {
        String c = customer("standard");
        UUID ok = build(c, 5);
        UUID bad = build(c, 5);
        Instant now = Instant.now();
        dsl.update(BUILD_QUEUE).set(BUILD_QUEUE.STATUS, "completed").set(BUILD_QUEUE.COMPLETED_AT, now).where(BUILD_QUEUE.ID.eq(ok)).execute();
        dsl.update(BUILD_QUEUE).set(BUILD_QUEUE.STATUS, "failed").set(BUILD_QUEUE.COMPLETED_AT, now).where(BUILD_QUEUE.ID.eq(bad)).execute();
        dsl.insertInto(BUILD_RESULTS).set(BUILD_RESULTS.BUILD_ID, ok).set(BUILD_RESULTS.SUCCESS, true).set(BUILD_RESULTS.DURATION_MS, 4000L).execute();
        dsl.insertInto(BUILD_RESULTS).set(BUILD_RESULTS.BUILD_ID, bad).set(BUILD_RESULTS.SUCCESS, false).set(BUILD_RESULTS.DURATION_MS, 2000L).execute();

        var usage = dsl.selectFrom(CUSTOMER_BUILD_USAGE).where(CUSTOMER_BUILD_USAGE.CUSTOMER_ID.eq(c)).fetchOne();
        assertThat(usage.getTotalBuilds()).isEqualTo(2);
        assertThat(usage.getBuildsThisMonth()).isEqualTo(2);
        assertThat(usage.getSucceeded()).isEqualTo(1);
        assertThat(usage.getFailed()).isEqualTo(1);
        assertThat(usage.getSuccessRate()).isEqualByComparingTo("0.5");
        assertThat(usage.getAvgDurationMs()).isEqualTo(3000L);

        var today = dsl.selectFrom(BUILD_PERFORMANCE_SUMMARY).fetch();
        assertThat(today).isNotEmpty();
        assertThat(today.stream().mapToLong(r -> r.getTotalBuilds()).sum()).isGreaterThanOrEqualTo(2);
        assertThat(today.stream().mapToLong(r -> r.getSucceeded()).sum()).isGreaterThanOrEqualTo(1);
    }

    // ---- licenses, credentials, customers -------------------------------------------------------------------------

    @Test
    void licenseQuotaUsageAndExpiry() {
        String c = customer("professional");
        license(c, Instant.now().plus(Duration.ofDays(3)));
        build(c, 5);
        build(c, 5);
        dsl.insertInto(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.CUSTOMER_ID, c).set(REGISTRY_CREDENTIALS.REGISTRY_TYPE, "ecr")
                .set(REGISTRY_CREDENTIALS.REGISTRY_NAME, "main").set(REGISTRY_CREDENTIALS.REGISTRY_URL, "https://ecr")
                .set(REGISTRY_CREDENTIALS.USERNAME, "AWS").set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, new byte[] {1})
                .set(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID, "k1").execute();

        Result<GetLicenseQuotaUsageRecord> usage = GET_LICENSE_QUOTA_USAGE(cfg, c);
        assertThat(usage).singleElement().satisfies(u -> {
            assertThat(u.getMaxBuildsPerMonth()).isEqualTo(500);
            assertThat(u.getBuildsThisMonth()).isEqualTo(2);
            assertThat(u.getMaxConcurrentBuilds()).isEqualTo(4);
            assertThat(u.getConcurrentBuilds()).isZero();
            assertThat(u.getMaxRegistries()).isEqualTo(3);
            assertThat(u.getRegistriesUsed()).isEqualTo(1);
        });

        String expired = customer("free");
        UUID old = license(expired, Instant.now().minus(Duration.ofDays(1)));
        assertThat(Routines.expireLicenses(cfg)).isGreaterThanOrEqualTo(1);
        assertThat(dsl.fetchOne(LICENSES, LICENSES.ID.eq(old)).getStatus()).isEqualTo("expired");
        assertThat(GET_LICENSE_QUOTA_USAGE(cfg, expired)).isEmpty();
    }

    @Test
    void revokeExpiredCredentialsRevokesOnlyLongInvalidOnes() {
        String c = customer("free");
        UUID stale = credential(c, "stale", "invalid", Instant.now().minus(Duration.ofDays(8)));
        UUID fresh = credential(c, "fresh", "invalid", Instant.now().minus(Duration.ofDays(1)));
        UUID valid = credential(c, "valid", "valid", Instant.now().minus(Duration.ofDays(30)));
        assertThat(Routines.revokeExpiredCredentials(cfg)).isEqualTo(1);
        assertThat(dsl.fetchOne(REGISTRY_CREDENTIALS, REGISTRY_CREDENTIALS.ID.eq(stale)).getIsActive()).isFalse();
        assertThat(dsl.fetchOne(REGISTRY_CREDENTIALS, REGISTRY_CREDENTIALS.ID.eq(fresh)).getIsActive()).isTrue();
        assertThat(dsl.fetchOne(REGISTRY_CREDENTIALS, REGISTRY_CREDENTIALS.ID.eq(valid)).getIsActive()).isTrue();
    }

    private static UUID credential(String c, String name, String status, Instant validatedAt) {
        return dsl.insertInto(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.CUSTOMER_ID, c).set(REGISTRY_CREDENTIALS.REGISTRY_TYPE, "harbor")
                .set(REGISTRY_CREDENTIALS.REGISTRY_NAME, name).set(REGISTRY_CREDENTIALS.REGISTRY_URL, "https://harbor")
                .set(REGISTRY_CREDENTIALS.USERNAME, "robot").set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, new byte[] {1})
                .set(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID, "k1").set(REGISTRY_CREDENTIALS.VALIDATION_STATUS, status)
                .set(REGISTRY_CREDENTIALS.LAST_VALIDATED_AT, validatedAt).returning(REGISTRY_CREDENTIALS.ID).fetchOne(REGISTRY_CREDENTIALS.ID);
    }

    @Test
    void cleanupOldBuildLogsTruncatesOnlyOldLogs() {
        String c = customer("free");
        UUID old = build(c, 5);
        UUID recent = build(c, 5);
        dsl.insertInto(BUILD_RESULTS).set(BUILD_RESULTS.BUILD_ID, old).set(BUILD_RESULTS.SUCCESS, true)
                .set(BUILD_RESULTS.STDOUT_LOG, "old output").set(BUILD_RESULTS.CREATED_AT, Instant.now().minus(Duration.ofDays(100))).execute();
        dsl.insertInto(BUILD_RESULTS).set(BUILD_RESULTS.BUILD_ID, recent).set(BUILD_RESULTS.SUCCESS, true)
                .set(BUILD_RESULTS.STDOUT_LOG, "new output").execute();
        // the logs kept with each attempt (build_attempts, V17) age out the same way
        Instant longAgo = Instant.now().minus(Duration.ofDays(100));
        dsl.insertInto(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.BUILD_ID, old)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.ATTEMPT, 1)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.STARTED_AT, longAgo)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.ENDED_AT, longAgo)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.OUTCOME, "failed")
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.STDERR_LOG, "old error output").execute();
        dsl.insertInto(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.BUILD_ID, recent)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.ATTEMPT, 1)
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.STARTED_AT, Instant.now())
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.OUTCOME, "failed")
                .set(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.STDERR_LOG, "new error output").execute();
        assertThat(Routines.cleanupOldBuildLogs(cfg, 90)).isEqualTo(1);
        assertThat(dsl.fetchOne(BUILD_RESULTS, BUILD_RESULTS.BUILD_ID.eq(old)).getStdoutLog()).isNull();
        assertThat(dsl.fetchOne(BUILD_RESULTS, BUILD_RESULTS.BUILD_ID.eq(old)).getLogsTruncatedAt()).isNotNull();
        assertThat(dsl.fetchOne(BUILD_RESULTS, BUILD_RESULTS.BUILD_ID.eq(recent)).getStdoutLog()).isEqualTo("new output");
        assertThat(dsl.fetchValue(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.STDERR_LOG,
                io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.BUILD_ID.eq(old))).isNull();
        assertThat(dsl.fetchValue(io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.STDERR_LOG,
                io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS.BUILD_ID.eq(recent))).isEqualTo("new error output");
    }

    @Test
    void purgeSoftDeletedRecordsRemovesOnlyExpiredSoftDeletes() {
        String gone = customer("free");
        String recent = customer("free");
        String live = customer("free");
        build(gone, 5);
        dsl.update(CUSTOMERS).set(CUSTOMERS.DELETED_AT, Instant.now().minus(Duration.ofDays(31))).where(CUSTOMERS.CUSTOMER_ID.eq(gone)).execute();
        dsl.update(CUSTOMERS).set(CUSTOMERS.DELETED_AT, Instant.now().minus(Duration.ofDays(2))).where(CUSTOMERS.CUSTOMER_ID.eq(recent)).execute();
        assertThat(Routines.purgeSoftDeletedRecords(cfg, 30)).isEqualTo(1);
        assertThat(dsl.fetchExists(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(gone))).isFalse();
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(gone))).isZero();
        assertThat(dsl.fetchExists(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(recent))).isTrue();
        assertThat(dsl.fetchExists(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(live))).isTrue();
    }

    // ---- conversations -------------------------------------------------------------------------------------------

    @Test
    void conversationStatsViewsAndExpiry() {
        String c = customer("enterprise");
        UUID conv = dsl.insertInto(CONVERSATIONS).set(CONVERSATIONS.CUSTOMER_ID, c).set(CONVERSATIONS.MODEL, "model-" + c)
                .set(CONVERSATIONS.DETECTED_INTENT, "intent-" + c).set(CONVERSATIONS.SATISFACTION_SCORE, (short) 4)
                .returning(CONVERSATIONS.ID).fetchOne(CONVERSATIONS.ID);
        for (int i = 0; i < 3; i++) {
            dsl.insertInto(CONVERSATION_MESSAGES).set(CONVERSATION_MESSAGES.CONVERSATION_ID, conv)
                    .set(CONVERSATION_MESSAGES.ROLE, i % 2 == 0 ? "user" : "assistant").set(CONVERSATION_MESSAGES.CONTENT, "m" + i)
                    .set(CONVERSATION_MESSAGES.PROMPT_TOKENS, 10).set(CONVERSATION_MESSAGES.COMPLETION_TOKENS, 5)
                    .set(CONVERSATION_MESSAGES.TOKENS, 15).set(CONVERSATION_MESSAGES.COST_USD, new BigDecimal("0.001000")).execute();
        }
        var stats = dsl.fetchOne(CONVERSATIONS, CONVERSATIONS.ID.eq(conv));
        assertThat(stats.getMessageCount()).isEqualTo(3);
        assertThat(stats.getTotalTokens()).isEqualTo(45L);
        assertThat(stats.getPromptTokens()).isEqualTo(30L);
        assertThat(stats.getTotalCostUsd()).isEqualByComparingTo("0.003");

        assertThat(dsl.selectFrom(ACTIVE_CONVERSATIONS).where(ACTIVE_CONVERSATIONS.ID.eq(conv)).fetchOne().getMessageCount()).isEqualTo(3);
        var perf = dsl.selectFrom(CONVERSATION_PERFORMANCE_SUMMARY).where(CONVERSATION_PERFORMANCE_SUMMARY.MODEL.eq("model-" + c)).fetchOne();
        assertThat(perf.getConversations()).isEqualTo(1);
        assertThat(perf.getAvgMessages()).isEqualByComparingTo("3");
        assertThat(perf.getAvgSatisfaction()).isEqualByComparingTo("4");

        UUID manifest = dsl.insertInto(BUILD_MANIFESTS).set(BUILD_MANIFESTS.CUSTOMER_ID, c).set(BUILD_MANIFESTS.CONVERSATION_ID, conv)
                .set(BUILD_MANIFESTS.NAME, "app").set(BUILD_MANIFESTS.MANIFEST, JSONB.valueOf("{\"image\":\"app\"}"))
                .set(BUILD_MANIFESTS.MANIFEST_DIGEST, hash("{\"image\": \"app\"}")).returning(BUILD_MANIFESTS.ID).fetchOne(BUILD_MANIFESTS.ID);
        var intent = dsl.selectFrom(INTENT_ANALYTICS).where(INTENT_ANALYTICS.INTENT.eq("intent-" + c)).fetchOne();
        assertThat(intent.getConversations()).isEqualTo(1);
        assertThat(intent.getManifestsGenerated()).isEqualTo(1);

        dsl.insertInto(REQUIREMENT_EXTRACTIONS).set(REQUIREMENT_EXTRACTIONS.CONVERSATION_ID, conv).set(REQUIREMENT_EXTRACTIONS.MANIFEST_ID, manifest)
                .set(REQUIREMENT_EXTRACTIONS.REQUIREMENT_TYPE, "environment").set(REQUIREMENT_EXTRACTIONS.EXTRACTED_VALUE, JSONB.valueOf("\"x\""))
                .set(REQUIREMENT_EXTRACTIONS.CONFIDENCE, new BigDecimal("0.800")).execute();
        dsl.insertInto(REQUIREMENT_EXTRACTIONS).set(REQUIREMENT_EXTRACTIONS.CONVERSATION_ID, conv)
                .set(REQUIREMENT_EXTRACTIONS.REQUIREMENT_TYPE, "environment").set(REQUIREMENT_EXTRACTIONS.EXTRACTED_VALUE, JSONB.valueOf("\"y\""))
                .set(REQUIREMENT_EXTRACTIONS.CONFIDENCE, new BigDecimal("0.400")).set(REQUIREMENT_EXTRACTIONS.WAS_CORRECTED, true)
                .set(REQUIREMENT_EXTRACTIONS.CORRECTED_VALUE, JSONB.valueOf("\"z\"")).execute();
        var accuracy = dsl.selectFrom(EXTRACTION_ACCURACY).where(EXTRACTION_ACCURACY.REQUIREMENT_TYPE.eq("environment")).fetchOne();
        assertThat(accuracy.getExtractions()).isGreaterThanOrEqualTo(2);
        assertThat(accuracy.getCorrected()).isGreaterThanOrEqualTo(1);
        assertThat(accuracy.getAccuracy()).isBetween(BigDecimal.ZERO, BigDecimal.ONE);

        // inactive for 25 hours: abandoned by expire_old_conversations(24); an active one is left alone
        UUID idle = dsl.insertInto(CONVERSATIONS).set(CONVERSATIONS.CUSTOMER_ID, c).set(CONVERSATIONS.MODEL, "m")
                .set(CONVERSATIONS.LAST_ACTIVITY_AT, Instant.now().minus(Duration.ofHours(25))).returning(CONVERSATIONS.ID).fetchOne(CONVERSATIONS.ID);
        assertThat(Routines.expireOldConversations(cfg, 24)).isEqualTo(1);
        assertThat(dsl.fetchOne(CONVERSATIONS, CONVERSATIONS.ID.eq(idle)).getStatus()).isEqualTo("abandoned");
        assertThat(dsl.fetchOne(CONVERSATIONS, CONVERSATIONS.ID.eq(conv)).getStatus()).isEqualTo("active");
    }

    // ---- constraints -------------------------------------------------------------------------------------------

    @Test
    void constraintsRejectBadValuesWithSqlErrors() {
        String c = customer("free");
        assertCheckViolation(() -> dsl.insertInto(BUILD_QUEUE).set(BUILD_QUEUE.CUSTOMER_ID, c).set(BUILD_QUEUE.PRIORITY, (short) 11).execute(),
                "chk_build_queue_priority");
        assertCheckViolation(() -> dsl.insertInto(BUILD_QUEUE).set(BUILD_QUEUE.CUSTOMER_ID, c).set(BUILD_QUEUE.PRIORITY, (short) 0).execute(),
                "chk_build_queue_priority");
        assertCheckViolation(() -> dsl.insertInto(BUILD_QUEUE).set(BUILD_QUEUE.CUSTOMER_ID, c).set(BUILD_QUEUE.STATUS, "exploded").execute(),
                "chk_build_queue_status");
        assertCheckViolation(() -> dsl.insertInto(CUSTOMERS).set(CUSTOMERS.CUSTOMER_ID, "x" + c).set(CUSTOMERS.NAME, "n")
                .set(CUSTOMERS.TIER, "platinum").execute(), "chk_customers_tier");
        assertCheckViolation(() -> dsl.insertInto(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.CUSTOMER_ID, c)
                .set(REGISTRY_CREDENTIALS.REGISTRY_TYPE, "ftp").set(REGISTRY_CREDENTIALS.REGISTRY_NAME, "r")
                .set(REGISTRY_CREDENTIALS.REGISTRY_URL, "u").set(REGISTRY_CREDENTIALS.USERNAME, "u")
                .set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, new byte[] {1}).set(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID, "k").execute(),
                "chk_registry_credentials_type");
        UUID conv = dsl.insertInto(CONVERSATIONS).set(CONVERSATIONS.CUSTOMER_ID, c).set(CONVERSATIONS.MODEL, "m")
                .returning(CONVERSATIONS.ID).fetchOne(CONVERSATIONS.ID);
        assertCheckViolation(() -> dsl.insertInto(CONVERSATION_MESSAGES).set(CONVERSATION_MESSAGES.CONVERSATION_ID, conv)
                .set(CONVERSATION_MESSAGES.ROLE, "robot").set(CONVERSATION_MESSAGES.CONTENT, "hi").execute(), "chk_conversation_messages_role");
        assertCheckViolation(() -> dsl.insertInto(BUILD_QUEUE).set(BUILD_QUEUE.CUSTOMER_ID, c).set(BUILD_QUEUE.STATUS, "building").execute(),
                "chk_build_queue_building_has_worker");
        assertThatThrownBy(() -> dsl.insertInto(BUILD_QUEUE).set(BUILD_QUEUE.CUSTOMER_ID, "nobody").execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("23503"));
        assertThat(dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c))).isZero();
    }

    @Test
    void restrictKeepsBuildHistoryWhileCascadeRemovesOwnedRows() {
        String c = customer("free");
        build(c, 5);
        license(c, null);
        assertThatThrownBy(() -> dsl.deleteFrom(CUSTOMERS).where(CUSTOMERS.CUSTOMER_ID.eq(c)).execute())
                // PostgreSQL reports ON DELETE RESTRICT as 23001 or 23503 depending on the order its internal RI triggers
                // fire (that order follows trigger OIDs, so it differs between clusters); the constraint is what matters.
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isIn("23001", "23503"))
                .hasMessageContaining("build_queue_customer_id_fkey");
        assertThat(dsl.fetchCount(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(c))).as("customer kept").isOne();
        assertThat(dsl.fetchCount(LICENSES, LICENSES.CUSTOMER_ID.eq(c))).as("license kept").isOne();
        dsl.deleteFrom(BUILD_QUEUE).where(BUILD_QUEUE.CUSTOMER_ID.eq(c)).execute();
        dsl.deleteFrom(CUSTOMERS).where(CUSTOMERS.CUSTOMER_ID.eq(c)).execute();
        assertThat(dsl.fetchCount(LICENSES, LICENSES.CUSTOMER_ID.eq(c))).as("licenses cascade").isZero();
    }

    @Test
    void updatedAtIsMaintainedByTrigger() throws Exception {
        String c = customer("free");
        Instant created = dsl.fetchOne(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(c)).getUpdatedAt();
        Thread.sleep(20);
        dsl.update(CUSTOMERS).set(CUSTOMERS.NAME, "renamed").where(CUSTOMERS.CUSTOMER_ID.eq(c)).execute();
        assertThat(dsl.fetchOne(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(c)).getUpdatedAt()).isAfter(created);
    }

    private static void assertCheckViolation(Runnable insert, String constraint) {
        assertThatThrownBy(insert::run)
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("23514"))
                .hasMessageContaining(constraint);
    }
}
