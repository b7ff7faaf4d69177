package io.honua.db.security;

import static io.honua.db.schema.generated.Tables.AUDIT_EVENTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.apikeys.CreatedApiKey;
import io.honua.db.apikeys.NewApiKey;
import io.honua.db.credentials.Credential;
import io.honua.db.credentials.NewCredential;
import io.honua.db.credentials.RegistryType;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.licensing.IssuedLicense;
import io.honua.db.licensing.NewLicense;
import io.honua.db.licensing.QuotaExceededException;
import io.honua.db.queue.NewBuild;
import io.honua.db.testing.Fixtures;
import io.honua.db.testkit.HonuaDatabase;
import io.honua.db.types.Tier;
import java.util.Set;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SecretsAsAppRoleTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    @Test
    void everythingWorksAsTheAppRole() {
        try (HikariDataSource su = Fixtures.pool(db, 2); HikariDataSource app = Fixtures.appPool(db, 4);
             HikariDataSource worker = Fixtures.workerPool(db, 2); HikariDataSource adminRole = Fixtures.adminPool(db, 2)) {
            LocalKeyProvider keys = LocalKeyProvider.generate("k1").withGeneratedKey("k2");
            HonuaDb admin = HonuaDb.create(su);
            HonuaDb honua = HonuaDb.builder(app).keyProvider(keys).build();
            HonuaDb service = HonuaDb.builder(worker).keyProvider(keys).build();
            HonuaDb adm = HonuaDb.builder(adminRole).keyProvider(keys).build();   // issue 12: licenses and API keys are created by honua_admin
            String a = Fixtures.newCustomer(admin);
            String b = Fixtures.newCustomer(admin);
            assertThatThrownBy(() -> honua.licenses().issue(NewLicense.builder(a, Tier.ENTERPRISE).build()))
                    .hasMessageContaining("permission denied");
            IssuedLicense la = adm.licenses().issue(NewLicense.builder(a, Tier.STANDARD).maxBuildsPerMonth(2).maxRegistries(1).build());
            assertThat(honua.licenses().verify(la.key()).valid()).isTrue();
            assertThat(honua.licenses().revealKey(a, la.license().id())).isEqualTo(la.key());
            assertThat(honua.licenses().quotaUsage(a)).isPresent();
            Credential ca = honua.registryCredentials().store(new NewCredential(a, RegistryType.ECR, "e", "https://e", "u", "sa"));
            assertThatThrownBy(() -> honua.registryCredentials().store(new NewCredential(a, RegistryType.ECR, "f", "https://e", "u", "sb")))
                    .isInstanceOf(QuotaExceededException.class);
            assertThat(honua.registryCredentials().reveal(a, ca.id()).secret()).isEqualTo("sa");
            assertThat(honua.registryCredentials().find(b, ca.id())).isEmpty();
            honua.forTenant(a).buildQueue().enqueue(NewBuild.builder(a).build());
            honua.forTenant(a).buildQueue().enqueue(NewBuild.builder(a).build());
            assertThatThrownBy(() -> honua.forTenant(a).buildQueue().enqueue(NewBuild.builder(a).build()))
                    .isInstanceOf(QuotaExceededException.class);
            assertThatThrownBy(() -> honua.apiKeys().create(new NewApiKey(a, "root", Set.of("admin:*"))))
                    .hasMessageContaining("permission denied");
            CreatedApiKey k = adm.apiKeys().create(new NewApiKey(a, "w", Set.of("x")));
            int auditBefore = admin.dsl().fetchCount(AUDIT_EVENTS, AUDIT_EVENTS.TENANT_ID.eq(a));
            for (int i = 0; i < 5; i++) {
                assertThat(honua.apiKeys().verify(k.key()).valid()).isTrue();
            }
            assertThat(admin.dsl().fetchCount(AUDIT_EVENTS, AUDIT_EVENTS.TENANT_ID.eq(a))).as("verify is not audited").isEqualTo(auditBefore);
            honua.apiKeys().revoke(a, k.apiKey().id());
            assertThat(admin.dsl().fetchCount(AUDIT_EVENTS, AUDIT_EVENTS.TENANT_ID.eq(a).and(AUDIT_EVENTS.ACTION.eq("api_keys.update"))))
                    .isEqualTo(1);
            assertThat(honua.apiKeys().list(b)).isEmpty();
            // key rotation spans every tenant: refused to the application role (issue 12); the service role rotates
            // credentials, the administrative role licenses
            assertThatThrownBy(() -> honua.registryCredentials().rotate("k2")).hasMessageContaining("permission denied");
            var r1 = service.registryCredentials().rotate("k2");
            var r2 = adm.licenses().rotate("k2");
            assertThat(r1.reencrypted()).isEqualTo(1);
            assertThat(r2.reencrypted()).isEqualTo(1);
            assertThat(honua.registryCredentials().reveal(a, ca.id()).secret()).isEqualTo("sa");
            // without a tenant, the app role sees nothing of the new tables
            assertThat(honua.dsl().fetchCount(DSL.table(DSL.name("api_keys")))).isZero();
            assertThat(honua.dsl().fetchCount(DSL.table(DSL.name("license_build_usage")))).isZero();
            assertThat(admin.dsl().fetchCount(DSL.table(DSL.name("license_build_usage")))).isEqualTo(1);
        }
    }
}
