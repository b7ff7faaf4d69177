package io.honua.db;

import io.honua.db.analytics.Analytics;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Daos;
import io.honua.db.apikeys.ApiKeys;
import io.honua.db.audit.AuditLog;
import io.honua.db.cache.BuildCache;
import io.honua.db.internal.SessionLimitedDataSource;
import io.honua.db.core.SessionLimits;
import io.honua.db.credentials.RegistryCredentials;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.intake.Intake;
import io.honua.db.licensing.Licenses;
import io.honua.db.maintenance.MaintenanceOptions;
import io.honua.db.maintenance.MaintenanceScheduler;
import io.honua.db.metrics.BuildMetrics;
import io.honua.db.observability.SlowQueryListener;
import io.honua.db.operations.Operations;
import io.honua.db.partitions.PartitionMaintenance;
import io.honua.db.queue.BuildDependencies;
import io.honua.db.queue.BuildHandler;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.BuildWorker;
import io.honua.db.queue.QueueOptions;
import io.honua.db.queue.WorkerOptions;
import io.honua.db.tenancy.Customers;
import io.honua.db.tenancy.TenantScope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.ExecuteListener;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConfiguration;

/**
 * Entry point: one per database, built from the service's pooled {@link DataSource}. Thread-safe.
 *
 * <pre>{@code
 * HonuaDb honua = HonuaDb.create(dataSource);
 * List<Build> builds = honua.buildQueue().claim("worker-1", 10);
 *
 * // analytics on a read replica, slow statements logged and counted:
 * HonuaDb honua = HonuaDb.builder(primary).analyticsDataSource(replica).slowQueryThreshold(Duration.ofMillis(200)).build();
 * }</pre>
 *
 * Writes and everything but {@link #analytics()} run on the primary data source; {@link #analytics()} runs on the
 * analytics data source (the primary unless one was given).
 *
 * <p>Every session the library opens runs with {@link SessionLimits} ({@code lock_timeout}, {@code statement_timeout},
 * {@code idle_in_transaction_session_timeout}; defaults {@link SessionLimits#DEFAULTS}, see
 * {@link Builder#sessionLimits(SessionLimits)}).
 */
public final class HonuaDb {

    private final DataSource dataSource;
    private final DSLContext dsl;
    private final BuildQueue buildQueue;
    private final BuildCache buildCache;
    private final DataSource analyticsDataSource;
    private final DSLContext analyticsDsl;
    private final Analytics analytics;
    private final PartitionMaintenance partitions;
    private final Optional<SlowQueryListener> slowQueryListener;
    private final Intake intake;
    private final QueueOptions queueOptions;
    private final Customers customers;
    private final AuditLog audit;
    private final SessionLimits sessionLimits;
    private final DataSource givenDataSource;
    private final DataSource givenAnalyticsDataSource;
    private final BuildMetrics buildMetrics;
    private final BuildDependencies buildDependencies;
    private final Operations operations;
    private final ApiKeys apiKeys;
    private final Optional<KeyProvider> keyProvider;
    private final Optional<Licenses> licenses;
    private final Optional<RegistryCredentials> registryCredentials;
    private final WorkerOptions workerOptions;
    private final MaintenanceScheduler maintenance;

    private HonuaDb(DataSource primary, QueueOptions queueOptions, DataSource analytics,
                    Optional<SlowQueryListener> slowQueryListener, SessionLimits limits, List<ExecuteListener> executeListeners,
                    Optional<KeyProvider> keyProvider, WorkerOptions workerOptions, MaintenanceOptions maintenanceOptions) {
        this.workerOptions = workerOptions;
        DataSource dataSource = SessionLimitedDataSource.wrap(primary, limits);
        DataSource analyticsDataSource = analytics == primary ? dataSource : SessionLimitedDataSource.wrap(analytics, limits);
        this.sessionLimits = limits;
        this.givenDataSource = primary;
        this.givenAnalyticsDataSource = analytics;
        this.dataSource = dataSource;
        this.slowQueryListener = slowQueryListener;
        List<ExecuteListener> listeners = new ArrayList<>();
        slowQueryListener.ifPresent(listeners::add);
        listeners.addAll(executeListeners);
        this.dsl = context(dataSource, listeners);
        this.buildQueue = Daos.buildQueue(dsl, queueOptions);
        this.buildCache = Daos.buildCache(dsl);
        this.analyticsDataSource = analyticsDataSource;
        this.analyticsDsl = analyticsDataSource == dataSource ? dsl : context(analyticsDataSource, listeners);
        this.analytics = Daos.analytics(analyticsDsl);
        this.partitions = Daos.partitions(dsl);
        this.intake = Daos.intake(dsl, buildQueue);
        this.queueOptions = queueOptions;
        this.customers = Daos.customers(dsl);
        this.audit = Daos.auditLog(dsl);
        this.buildMetrics = Daos.buildMetrics(dsl);
        this.buildDependencies = Daos.buildDependencies(dsl);
        this.operations = Daos.operations(primary, dsl);   // the pool as given: health reads its state
        this.apiKeys = Daos.apiKeys(dsl);
        this.keyProvider = keyProvider;
        this.licenses = keyProvider.map(k -> Daos.licenses(dsl, k));
        this.registryCredentials = keyProvider.map(k -> Daos.registryCredentials(dsl, k));
        this.maintenance = Daos.maintenanceScheduler(dsl, maintenanceOptions);
    }

    private static DSLContext context(DataSource dataSource, List<ExecuteListener> listeners) {
        if (listeners.isEmpty()) {
            return DSL.using(dataSource, SQLDialect.POSTGRES, settings());
        }
        return DSL.using(new DefaultConfiguration().set(dataSource).set(SQLDialect.POSTGRES).set(settings())
                .set(listeners.toArray(ExecuteListener[]::new)));
    }

    /** Starts a builder over the primary (read-write) data source. */
    public static Builder builder(DataSource primary) {
        return new Builder(Checks.notNull(primary, "primary"));
    }

    /**
     * Options of a {@link HonuaDb}, each given once; every option has a default, and {@code builder(ds).build()} is
     * what {@link HonuaDb#create(DataSource)} returns.
     */
    public static final class Builder {

        private final DataSource primary;
        private DataSource analyticsDataSource;
        private QueueOptions queueOptions = QueueOptions.DEFAULTS;
        private Duration slowQueryThreshold;
        private SessionLimits sessionLimits = SessionLimits.DEFAULTS;
        private final List<ExecuteListener> executeListeners = new ArrayList<>();
        private KeyProvider keyProvider;
        private WorkerOptions workerOptions = WorkerOptions.DEFAULTS;
        private MaintenanceOptions maintenanceOptions;

        private Builder(DataSource primary) {
            this.primary = primary;
            this.analyticsDataSource = primary;
        }

        /** Data source {@link HonuaDb#analytics()} reads from, typically a streaming read replica. Default: primary. */
        public Builder analyticsDataSource(DataSource replica) {
            this.analyticsDataSource = Checks.notNull(replica, "replica");
            return this;
        }

        /** Options of {@link HonuaDb#buildQueue()} (and of the tenant scopes' queues). Default {@link QueueOptions#DEFAULTS}. */
        public Builder queueOptions(QueueOptions options) {
            this.queueOptions = Checks.notNull(options, "options");
            return this;
        }

        /**
         * Turns on the {@link SlowQueryListener}: statements slower than {@code threshold} are logged and counted, all
         * statements are timed. Off unless called.
         */
        public Builder slowQueryThreshold(Duration threshold) {
            Checks.notNull(threshold, "threshold");
            if (threshold.isNegative()) {
                throw new InvalidRequestException("threshold must not be negative, got " + threshold);
            }
            this.slowQueryThreshold = threshold;
            return this;
        }

        /**
         * Time limits of every session the library opens (both data sources): lock wait, statement run time, idle time
         * in a transaction. Default {@link SessionLimits#DEFAULTS} (10 s, 5 min, 60 s); {@link SessionLimits#NONE}
         * leaves the server's and the role's settings alone.
         */
        public Builder sessionLimits(SessionLimits limits) {
            this.sessionLimits = Checks.notNull(limits, "limits");
            return this;
        }

        /**
         * Adds a jOOQ listener that sees every statement of this {@link HonuaDb} (primary and analytics), after the
         * slow-query listener; e.g. the meters of {@code honua-micrometer}. Call once per listener.
         */
        public Builder executeListener(ExecuteListener listener) {
            executeListeners.add(Checks.notNull(listener, "listener"));
            return this;
        }

        /**
         * The key provider that encrypts license key copies and registry secrets; with it {@link HonuaDb#licenses()}
         * and {@link HonuaDb#registryCredentials()} are available. Not set by default. It is given here only: DAOs
         * under another key provider come from another {@code HonuaDb} (e.g. over the same data source).
         */
        public Builder keyProvider(KeyProvider keys) {
            this.keyProvider = Checks.notNull(keys, "keys");
            return this;
        }

        /**
         * Defaults of every worker made by {@link HonuaDb#worker(String, BuildHandler)} (each worker's builder can still
         * override them). Default {@link WorkerOptions#DEFAULTS}.
         */
        public Builder workerOptions(WorkerOptions options) {
            this.workerOptions = Checks.notNull(options, "options");
            return this;
        }

        /**
         * Options of {@link HonuaDb#maintenance()} (instance id, clock, tick, jobs, error listener). Default
         * {@link MaintenanceOptions#defaults()} (a random instance id, the UTC clock, a 30 s tick,
         * {@link io.honua.db.maintenance.MaintenanceJob#defaults()}, errors logged at WARNING), taken when
         * {@link #build()} runs.
         */
        public Builder maintenance(MaintenanceOptions options) {
            this.maintenanceOptions = Checks.notNull(options, "options");
            return this;
        }

        /** A new {@link HonuaDb} with these options (a builder can build several, each with its own DAOs). */
        public HonuaDb build() {
            return new HonuaDb(primary, queueOptions, analyticsDataSource,
                    Optional.ofNullable(slowQueryThreshold).map(SlowQueryListener::new), sessionLimits,
                    List.copyOf(executeListeners), Optional.ofNullable(keyProvider), workerOptions,
                    maintenanceOptions != null ? maintenanceOptions : MaintenanceOptions.defaults());
        }
    }

    /**
     * Shortcut for {@code builder(dataSource).build()}: the named default, every option at its default (no key
     * provider, so {@link #licenses()} and {@link #registryCredentials()} are not available). To set any option, use
     * {@link #builder(DataSource)}.
     */
    public static HonuaDb create(DataSource dataSource) {
        return builder(Checks.notNull(dataSource, "dataSource")).build();
    }

    /** jOOQ settings every Honua DSLContext uses. */
    public static Settings settings() {
        return new Settings()
                .withRenderSchema(false)
                .withExecuteLogging(false)
                .withFetchWarnings(false)
                .withRenderCatalog(false);
    }

    /** The primary data source as given (the library's own sessions on it run with {@link #sessionLimits()}). */
    public DataSource dataSource() {
        return givenDataSource;
    }

    /** The time limits of the library's sessions. */
    public SessionLimits sessionLimits() {
        return sessionLimits;
    }

    /** The jOOQ context over the data source, for your own typed queries against the generated classes. */
    public DSLContext dsl() {
        return dsl;
    }

    public BuildQueue buildQueue() {
        return buildQueue;
    }

    /**
     * A worker of this database's queue with the builder's {@link Builder#workerOptions worker options} (override any
     * on the returned builder), listening for new builds on this database's pool; start it with
     * {@link BuildWorker.Builder#start()}.
     */
    public BuildWorker.Builder worker(String workerId, BuildHandler handler) {
        return BuildWorker.builder(buildQueue, dataSource, workerId, handler).options(workerOptions);
    }

    /** The worker defaults given to the builder ({@link WorkerOptions#DEFAULTS} unless set). */
    public WorkerOptions workerOptions() {
        return workerOptions;
    }

    /** The shared build cache: lookup, register, access recording (also batched, see {@link BuildCache#recorder}). */
    public BuildCache buildCache() {
        return buildCache;
    }

    /** Dashboard queries; they run on {@link #analyticsDataSource()}. */
    public Analytics analytics() {
        return analytics;
    }

    /** Partition upkeep of the log tables (runs on the primary). */
    public PartitionMaintenance partitions() {
        return partitions;
    }

    /** The data source analytics read from: the replica given to the builder, else the primary. */
    public DataSource analyticsDataSource() {
        return givenAnalyticsDataSource;
    }

    /** The jOOQ context over {@link #analyticsDataSource()}, for your own read-only queries. */
    public DSLContext analyticsDsl() {
        return analyticsDsl;
    }

    /** The slow-query listener and its counters, when enabled by {@link Builder#slowQueryThreshold(Duration)}. */
    public Optional<SlowQueryListener> slowQueryListener() {
        return slowQueryListener;
    }

    /** The AI intake system: conversations, manifests, extractions and their analytics. */
    public Intake intake() {
        return intake;
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
        return Daos.tenantScope(dataSource, dsl, queueOptions, keyProvider, customerId);
    }

    /**
     * The maintenance scheduler of this database, with the builder's {@link Builder#maintenance maintenance options};
     * one instance per {@code HonuaDb}, not started ({@link MaintenanceScheduler#start()}, stop it with
     * {@link MaintenanceScheduler#close()}). Run it with the worker role.
     */
    public MaintenanceScheduler maintenance() {
        return maintenance;
    }

    /**
     * Licenses, with their key copies encrypted under the builder's {@link Builder#keyProvider key provider} (see
     * {@link Licenses}); one instance per {@code HonuaDb}.
     *
     * @throws InvalidRequestException no key provider was given to the builder
     */
    public Licenses licenses() {
        return licenses.orElseThrow(Daos::noKeyProvider);
    }

    /**
     * Registry credentials, encrypted under the builder's {@link Builder#keyProvider key provider} (see
     * {@link RegistryCredentials}); one instance per {@code HonuaDb}.
     *
     * @throws InvalidRequestException no key provider was given to the builder
     */
    public RegistryCredentials registryCredentials() {
        return registryCredentials.orElseThrow(Daos::noKeyProvider);
    }

    /** API keys for workers and services (see {@link ApiKeys}); one instance per {@code HonuaDb}. */
    public ApiKeys apiKeys() {
        return apiKeys;
    }

    /** Build metrics: batch recording and bucketed series of {@code build_metrics} (see {@link BuildMetrics}). */
    public BuildMetrics buildMetrics() {
        return buildMetrics;
    }

    /** The transitive dependency graph of a build, in topological order (see {@link BuildDependencies}). */
    public BuildDependencies buildDependencies() {
        return buildDependencies;
    }

    /** Readiness ({@link Operations#health()}) and the database's operations view; see {@link Operations} for roles. */
    public Operations operations() {
        return operations;
    }
}
