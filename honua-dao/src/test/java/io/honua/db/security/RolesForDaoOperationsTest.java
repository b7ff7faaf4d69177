package io.honua.db.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.apikeys.ApiKeyCheck;
import io.honua.db.apikeys.CreatedApiKey;
import io.honua.db.apikeys.NewApiKey;
import io.honua.db.core.HonuaException;
import io.honua.db.core.SessionLimits;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.licensing.IssuedLicense;
import io.honua.db.licensing.LicenseCheck;
import io.honua.db.licensing.LicenseStatus;
import io.honua.db.licensing.Licenses;
import io.honua.db.licensing.NewLicense;
import io.honua.db.tenancy.CustomerUpdate;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.tenancy.TenantAccessDeniedException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12: the DAOs keep working for the role each operation belongs to (README "Security model"), and the
 * application role is refused the administrative ones with a typed exception, changing nothing. Also: the library's
 * sessions run with the configured {@code SessionLimits}.
 */
class RolesForDaoOperationsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAdminPool(2).withAppPool(2);

    static DSLContext owner;
    static final LocalKeyProvider keys = LocalKeyProvider.generate("roles-key-1");

    @BeforeAll
    static void setUp() {
        owner = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
    }

    static String tenant() {
        return "roles-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static List<String> actions(String tenant) {
        return owner.resultQuery("SELECT action FROM audit_events WHERE tenant_id = ? ORDER BY seq", tenant).fetch().getValues(0, String.class);
    }

    @Test
    void theAdminRoleRunsTheCommercialLifecycleAudited() {
        String t = tenant();
        fx.admin().customers().create(NewCustomer.builder(t, "Roles").tier(Tier.STANDARD).build());
        Licenses adminLicenses = Fixtures.withKeys(fx.admin(), keys).licenses();
        Licenses appLicenses = Fixtures.withKeys(fx.app(), keys).licenses();
        IssuedLicense issued = adminLicenses.issue(NewLicense.builder(t, Tier.PROFESSIONAL).maxRegistries(3)
                .flag("gpu", true).build());
        UUID id = issued.license().id();
        assertThat(adminLicenses.suspend(t, id).status()).isEqualTo(LicenseStatus.SUSPENDED);
        assertThat(adminLicenses.reinstate(t, id).status()).isEqualTo(LicenseStatus.ACTIVE);
        adminLicenses.setFeatureFlags(t, id, Map.of("gpu", false));
        fx.admin().customers().update(t, CustomerUpdate.builder().tier(Tier.ENTERPRISE).build());
        CreatedApiKey key = fx.admin().apiKeys().create(new NewApiKey(t, "ci", Set.of("builds:claim")));
        fx.admin().buildQueue().setFairShareWeight(t, 3);
        assertThat(fx.admin().buildQueue().fairShareWeight(t)).isEqualTo(3);
        // key rotation: the administrative role re-encrypts the stored license keys (admin_rekey_license)
        LocalKeyProvider rotated = keys.withGeneratedKey("roles-key-2");
        Licenses rotatedLicenses = Fixtures.withKeys(fx.admin(), rotated).licenses();
        assertThat(rotatedLicenses.rotate("roles-key-2").failed()).isEmpty();
        assertThat(rotatedLicenses.revealKey(t, id)).isEqualTo(issued.key());

        // the tenant itself verifies keys, reads its license and quota, revokes its own API key
        assertThat(appLicenses.verify(issued.key()).verdict()).isEqualTo(LicenseCheck.Verdict.VALID);
        assertThat(appLicenses.quotaUsage(t)).isPresent();
        assertThat(fx.app().apiKeys().verify(key.key()).verdict()).isEqualTo(ApiKeyCheck.Verdict.VALID);
        fx.app().apiKeys().revoke(t, key.apiKey().id());
        assertThat(fx.app().apiKeys().verify(key.key()).verdict()).isEqualTo(ApiKeyCheck.Verdict.REVOKED);

        assertThat(actions(t)).containsExactly("customers.insert", "licenses.insert", "licenses.update", "licenses.update",
                "licenses.update", "customers.update", "api_keys.insert", "build_queue_weights.insert", "licenses.update",
                "api_keys.update");
        // the administrative functions run with the owner's rights, yet the audit records who called them
        assertThat(owner.resultQuery("SELECT actor FROM audit_events WHERE tenant_id = ? ORDER BY seq", t).fetch().getValues(0, String.class))
                .containsExactly(Fixtures.ADMIN_LOGIN, Fixtures.ADMIN_LOGIN, Fixtures.ADMIN_LOGIN, Fixtures.ADMIN_LOGIN,
                        Fixtures.ADMIN_LOGIN, Fixtures.ADMIN_LOGIN, Fixtures.ADMIN_LOGIN, Fixtures.ADMIN_LOGIN,
                        Fixtures.ADMIN_LOGIN, Fixtures.APP_LOGIN);
        assertThat(fx.admin().audit().verifyChain(t).isValid()).isTrue();
    }

    @Test
    void theApplicationRoleIsRefusedEveryAdministrativeOperationAndNothingChanges() {
        String t = tenant();
        fx.admin().customers().create(NewCustomer.builder(t, "Roles").tier(Tier.FREE).build());
        Licenses appLicenses = Fixtures.withKeys(fx.app(), keys).licenses();
        UUID id = Fixtures.withKeys(fx.admin(), keys).licenses().issue(NewLicense.builder(t, Tier.FREE).build()).license().id();
        String before = owner.fetchValue("SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM (SELECT l::text AS x FROM licenses l "
                + "UNION ALL SELECT c::text FROM customers c UNION ALL SELECT k::text FROM api_keys k) s").toString();
        List<Runnable> refused = List.of(
                () -> fx.app().customers().create(NewCustomer.builder(tenant(), "New").tier(Tier.ENTERPRISE).build()),
                () -> fx.app().customers().update(t, CustomerUpdate.builder().tier(Tier.ENTERPRISE).build()),
                () -> appLicenses.issue(NewLicense.builder(t, Tier.ENTERPRISE).build()),
                () -> appLicenses.reinstate(t, id),
                () -> appLicenses.suspend(t, id),
                () -> appLicenses.revoke(t, id),
                () -> appLicenses.setFeatureFlags(t, id, Map.of("gpu", true)),
                () -> appLicenses.setFeatureFlagsJson(t, id, "{\"gpu\": true}"),
                () -> fx.app().apiKeys().create(new NewApiKey(t, "root", Set.of("admin:*"))),
                () -> fx.app().buildQueue().setFairShareWeight(t, 1000));
        for (Runnable r : refused) {
            assertThatThrownBy(r::run).isInstanceOf(HonuaException.class)
                    .satisfies(e -> assertThat(e.getMessage()).contains("permission denied"));
        }
        assertThatThrownBy(() -> fx.app().customers().update(t, CustomerUpdate.builder().tier(Tier.ENTERPRISE).build()))
                .isInstanceOf(TenantAccessDeniedException.class);
        String after = owner.fetchValue("SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM (SELECT l::text AS x FROM licenses l "
                + "UNION ALL SELECT c::text FROM customers c UNION ALL SELECT k::text FROM api_keys k) s").toString();
        assertThat(after).isEqualTo(before);
        assertThat(actions(t)).containsExactly("customers.insert", "licenses.insert");
    }

    @Test
    void theLibrarysSessionsRunWithTheSessionLimits() throws Exception {
        HonuaDb limited = HonuaDb.builder(fx.appPool()).sessionLimits(SessionLimits.DEFAULTS.withLockTimeout(Duration.ofMillis(1234))
                .withStatementTimeout(Duration.ofSeconds(77)).withIdleInTransactionTimeout(Duration.ofSeconds(33))).build();
        assertThat(limited.dsl().fetchOne("SELECT current_setting('lock_timeout'), current_setting('statement_timeout'), "
                + "current_setting('idle_in_transaction_session_timeout')").intoList())
                .containsExactly("1234ms", "77s", "33s");
        // every pooled connection, also inside a tenant transaction
        for (int i = 0; i < 4; i++) {
            String lockTimeout = limited.forTenant("anyone").inTransaction(tx -> String.valueOf(tx.fetchValue("SELECT current_setting('lock_timeout')")));
            assertThat(lockTimeout).isEqualTo("1234ms");
        }
        // the defaults through create(ds)
        assertThat(String.valueOf(HonuaDb.create(fx.adminPool()).dsl().fetchValue("SELECT current_setting('statement_timeout')"))).isEqualTo("5min");
        // a statement of the library waiting behind someone else's lock gives up after lock_timeout (55P03)
        String t = tenant();
        fx.admin().customers().create(NewCustomer.builder(t, "Locked").build());
        try (Connection blocker = fx.db().dataSource().getConnection()) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("SELECT 1 FROM customers WHERE customer_id = '" + t + "' FOR UPDATE");
            }
            long start = System.nanoTime();
            assertThatThrownBy(() -> limited.forTenant(t).customers().update(t, CustomerUpdate.builder().name("x").build()))
                    .satisfies(e -> assertThat(e).hasStackTraceContaining("lock timeout"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
            blocker.rollback();
        }
        // NONE leaves the server's setting alone
        HonuaDb untouched = HonuaDb.builder(Fixtures.appPool(fx.db(), 1)).sessionLimits(SessionLimits.NONE).build();
        try {
            assertThat(String.valueOf(untouched.dsl().fetchValue("SELECT current_setting('lock_timeout')"))).isEqualTo("0");
        } finally {
            ((HikariDataSource) untouched.dataSource()).close();
        }
    }
}
