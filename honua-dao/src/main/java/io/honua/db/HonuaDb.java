package io.honua.db;

import io.honua.db.intake.Intake;
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
    private final Intake intake;

    private HonuaDb(DataSource dataSource, QueueOptions queueOptions) {
        this.dataSource = dataSource;
        this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES, settings());
        this.buildQueue = new BuildQueue(dsl, queueOptions);
        this.intake = new Intake(dsl, buildQueue);
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

    /** The AI intake system: conversations, manifests, extractions and their analytics. */
    public Intake intake() {
        return intake;
    }
}
