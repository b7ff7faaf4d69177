package io.honua.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.SessionLimits;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.maintenance.MaintenanceJob;
import io.honua.db.maintenance.MaintenanceOptions;
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
        assertThat(honua.maintenance()).isSameAs(honua.maintenance());
        // no per-call key provider: DAOs under another provider come from another HonuaDb
        assertThat(HonuaDb.class.getMethods()).noneMatch(m -> List.of(m.getParameterTypes()).contains(KeyProvider.class));
        HonuaDb other = HonuaDb.builder(db.dataSource()).keyProvider(LocalKeyProvider.generate("other-key")).build();
        assertThat(other.licenses()).isNotSameAs(honua.licenses());
    }

    @Test
    void maintenanceOptionsAreGivenOnceToTheBuilder() {
        MaintenanceOptions options = MaintenanceOptions.defaults().withInstanceId("builder-instance").withTick(Duration.ofMinutes(1));
        HonuaDb honua = HonuaDb.builder(db.dataSource()).maintenance(options).build();
        assertThat(honua.maintenance().options()).isEqualTo(options);
        // the named default: MaintenanceOptions.defaults()
        MaintenanceOptions defaults = HonuaDb.create(db.dataSource()).maintenance().options();
        assertThat(defaults.jobs()).isEqualTo(MaintenanceJob.defaults());
        assertThat(defaults.tick()).isEqualTo(MaintenanceOptions.defaults().tick());
        assertThat(defaults.clock()).isEqualTo(MaintenanceOptions.defaults().clock());
        assertThat(HonuaDb.class.getMethods()).noneMatch(m -> List.of(m.getParameterTypes()).contains(MaintenanceOptions.class));
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
        assertThatThrownBy(() -> b.maintenance(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> b.workerOptions(null)).isInstanceOf(InvalidRequestException.class);
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
                    && !m.getReturnType().isRecord()) {
                Object dao = m.invoke(honua);
                assertThat(dao).as(m.getName()).isNotNull();
                daos.add(dao.getClass());
            }
        }
        daos.add(honua.forTenant("dao-tenant").getClass());
        assertThat(daos).contains(io.honua.db.maintenance.MaintenanceScheduler.class);
        assertThat(daos).hasSizeGreaterThanOrEqualTo(15);
        for (Class<?> dao : daos) {
            assertThat(dao.getConstructors()).as(dao.getName() + " public constructors").isEmpty();
        }
    }
}
