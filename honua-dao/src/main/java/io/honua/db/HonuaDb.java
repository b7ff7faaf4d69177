package io.honua.db;

import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.QueueOptions;
import java.util.Objects;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

/**
 * Entry point: one per database, built from the service's pooled {@link DataSource}. Thread-safe.
 *
 * <pre>{@code
 * HonuaDb honua = HonuaDb.create(dataSource);
 * List<Build> builds = honua.buildQueue().claim("worker-1", 10);
 * }</pre>
 */
public final class HonuaDb {

    private final DataSource dataSource;
    private final DSLContext dsl;
    private final BuildQueue buildQueue;

    private HonuaDb(DataSource dataSource, QueueOptions queueOptions) {
        this.dataSource = dataSource;
        this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES, settings());
        this.buildQueue = new BuildQueue(dsl, queueOptions);
    }

    public static HonuaDb create(DataSource dataSource) {
        return new HonuaDb(Objects.requireNonNull(dataSource, "dataSource"), QueueOptions.DEFAULTS);
    }

    public static HonuaDb create(DataSource dataSource, QueueOptions queueOptions) {
        return new HonuaDb(Objects.requireNonNull(dataSource, "dataSource"), Objects.requireNonNull(queueOptions, "queueOptions"));
    }

    /** jOOQ settings every Honua DSLContext uses. */
    public static Settings settings() {
        return new Settings()
                .withRenderSchema(false)
                .withExecuteLogging(false)
                .withFetchWarnings(false)
                .withRenderCatalog(false);
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** The jOOQ context over the data source, for your own typed queries against the generated classes. */
    public DSLContext dsl() {
        return dsl;
    }

    public BuildQueue buildQueue() {
        return buildQueue;
    }

    /** Licenses, with their key copies encrypted under {@code keys} (see {@link io.honua.db.licensing.Licenses}). */
    public io.honua.db.licensing.Licenses licenses(io.honua.db.crypto.KeyProvider keys) {
        return new io.honua.db.licensing.Licenses(dsl, keys);
    }

    /** Registry credentials, encrypted under {@code keys} (see {@link io.honua.db.credentials.RegistryCredentials}). */
    public io.honua.db.credentials.RegistryCredentials registryCredentials(io.honua.db.crypto.KeyProvider keys) {
        return new io.honua.db.credentials.RegistryCredentials(dsl, keys);
    }

    /** API keys for workers and services (see {@link io.honua.db.apikeys.ApiKeys}). */
    public io.honua.db.apikeys.ApiKeys apiKeys() {
        return new io.honua.db.apikeys.ApiKeys(dsl);
    }
}
