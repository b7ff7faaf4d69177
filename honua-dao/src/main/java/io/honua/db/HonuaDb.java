package io.honua.db;

import io.honua.db.audit.AuditLog;
import io.honua.db.maintenance.MaintenanceOptions;
import io.honua.db.maintenance.MaintenanceScheduler;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.QueueOptions;
import io.honua.db.tenancy.Customers;
import io.honua.db.tenancy.TenantScope;
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
    private final QueueOptions queueOptions;
    private final Customers customers;
    private final AuditLog audit;

    private HonuaDb(DataSource dataSource, QueueOptions queueOptions) {
        this.dataSource = dataSource;
        this.dsl = DSL.using(dataSource, SQLDialect.POSTGRES, settings());
        this.buildQueue = new BuildQueue(dsl, queueOptions);
        this.queueOptions = queueOptions;
        this.customers = new Customers(dsl);
        this.audit = new AuditLog(dsl);
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

    /** Customers (tenants); each call sets the tenant it is about for its transaction. */
    public Customers customers() {
        return customers;
    }

    /** The append-only, hash-chained audit log. */
    public AuditLog audit() {
        return audit;
    }

    /**
     * Everything one tenant may do: DAOs whose every transaction sets {@code honua.tenant_id} to {@code customerId},
     * so that row-level security confines the application role to that tenant's rows.
     */
    public TenantScope forTenant(String customerId) {
        return new TenantScope(dataSource, dsl, queueOptions, customerId);
    }

    /** A maintenance scheduler over this database (run it with the worker role); not started. */
    public MaintenanceScheduler maintenance(MaintenanceOptions options) {
        return new MaintenanceScheduler(dsl, options);
    }
}
