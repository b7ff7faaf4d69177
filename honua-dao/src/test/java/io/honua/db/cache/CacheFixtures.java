package io.honua.db.cache;

import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.BUILD_CACHE_REGISTRY;
import static io.honua.db.schema.generated.Tables.LICENSES;

import io.honua.db.HonuaDb;
import io.honua.db.testing.Fixtures;
import io.honua.db.types.Tier;
import java.time.Instant;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Cache test data on top of {@link Fixtures} (not a second fixture: the cache tests set up with
 * {@code HonuaFixture}): customers with a license of a given tier, counts read straight from the tables.
 */
final class CacheFixtures {

    private CacheFixtures() {
    }

    /** A new customer holding one active license of the given tier. */
    static String customerWithTier(HonuaDb honua, Tier tier) {
        String c = Fixtures.newCustomer(honua);
        license(honua.dsl(), c, tier, "active", null, false, null);
        return c;
    }

    static UUID license(DSLContext dsl, String customerId, Tier tier, String status, Instant expiresAt, boolean trial, Instant trialEndsAt) {
        return Fixtures.licenseRow(dsl, customerId, tier.dbValue(), status)
                .set(LICENSES.ISSUED_AT, Instant.now().minusSeconds(7200))
                .set(LICENSES.EXPIRES_AT, expiresAt)
                .set(LICENSES.IS_TRIAL, trial)
                .set(LICENSES.TRIAL_ENDS_AT, trialEndsAt)
                .returning(LICENSES.ID)
                .fetchOne(LICENSES.ID);
    }

    static String hash() {
        return Fixtures.sha256(UUID.randomUUID().toString());
    }

    static int logRows(DSLContext dsl) {
        return dsl.fetchCount(BUILD_ACCESS_LOG);
    }

    static int logRows(DSLContext dsl, String customerId, String accessType) {
        return dsl.fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customerId).and(BUILD_ACCESS_LOG.ACCESS_TYPE.eq(accessType)));
    }

    static int entries(DSLContext dsl) {
        return dsl.fetchCount(BUILD_CACHE_REGISTRY);
    }
}
