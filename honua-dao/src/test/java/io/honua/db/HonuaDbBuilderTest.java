package io.honua.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.SessionLimits;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.queue.QueueOptions;
import io.honua.db.testkit.HonuaDatabase;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link HonuaDb.Builder}: everything given once, DAOs created once, invalid options typed. */
class HonuaDbBuilderTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    @Test
    void keyProviderIsGivenOnceAndDaosAreCached() {
        LocalKeyProvider keys = LocalKeyProvider.generate("builder-key");
        HonuaDb honua = HonuaDb.builder(db.dataSource()).keyProvider(keys).build();
        assertThat(honua.licenses()).isSameAs(honua.licenses());
        assertThat(honua.registryCredentials()).isSameAs(honua.registryCredentials());
        assertThat(honua.apiKeys()).isSameAs(honua.apiKeys());
        assertThat(honua.buildQueue()).isSameAs(honua.buildQueue());
        // the deprecated per-call form hands out the cached instance for the same provider
        assertThat(honua.licenses(keys)).isSameAs(honua.licenses());
        assertThat(honua.registryCredentials(keys)).isSameAs(honua.registryCredentials());
    }

    @Test
    void withoutKeyProviderTheEncryptingDaosAreATypedError() {
        HonuaDb honua = HonuaDb.create(db.dataSource());
        assertThatThrownBy(honua::licenses).isInstanceOf(InvalidRequestException.class).hasMessageContaining("keyProvider");
        assertThatThrownBy(honua::registryCredentials).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void invalidOptionsAreInvalidRequests() {
        HonuaDb.Builder b = HonuaDb.builder(db.dataSource());
        assertThatThrownBy(() -> HonuaDb.builder(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> HonuaDb.create(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> b.keyProvider(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> b.queueOptions(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> b.analyticsDataSource(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> b.sessionLimits(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> b.executeListener(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> b.slowQueryThreshold(Duration.ofMillis(-1))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> SessionLimits.DEFAULTS.withLockTimeout(Duration.ofSeconds(-1))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> SessionLimits.DEFAULTS.withStatementTimeout(Duration.ofDays(365))).isInstanceOf(InvalidRequestException.class);
        assertThat(b.queueOptions(QueueOptions.DEFAULTS).build().buildQueue()).isNotNull();
    }

    /**
     * Every DAO comes from HonuaDb (or a TenantScope): none has a public constructor, so there is one way to wire them
     * (the configured pool, options, listeners and key provider) and the API does not export their wiring.
     */
    @Test
    void daosAreObtainedFromHonuaDbOnly() throws Exception {
        HonuaDb honua = HonuaDb.builder(db.dataSource()).keyProvider(LocalKeyProvider.generate("dao-key")).build();
        List<Class<?>> daos = new ArrayList<>();
        for (Method m : HonuaDb.class.getMethods()) {
            if (m.getParameterCount() == 0 && m.getReturnType().getPackageName().startsWith("io.honua.db.")
                    && !m.getReturnType().isRecord() && !m.isAnnotationPresent(Deprecated.class)) {
                Object dao = m.invoke(honua);
                assertThat(dao).as(m.getName()).isNotNull();
                daos.add(dao.getClass());
            }
        }
        daos.add(honua.forTenant("dao-tenant").getClass());
        daos.add(honua.maintenance(io.honua.db.maintenance.MaintenanceOptions.defaults()).getClass());
        assertThat(daos).hasSizeGreaterThanOrEqualTo(15);
        for (Class<?> dao : daos) {
            assertThat(dao.getConstructors()).as(dao.getName() + " public constructors").isEmpty();
        }
    }
}
