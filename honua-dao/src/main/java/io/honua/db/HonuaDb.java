package io.honua.db;

import io.honua.db.analytics.Analytics;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Daos;
import io.honua.db.apikeys.ApiKeys;
import io.honua.db.audit.AuditLog;
import io.honua.db.cache.BuildCache;
import io.honua.db.internal.Memo;
import io.honua.db.internal.SessionLimitedDataSource;
import io.honua.db.internal.Tenancy;
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
 *
 * // the same capabilities for one tenant (row-level security confines the application role to its rows):
 * TenantScope acme = honua.forTenant("acme");
 * acme.buildQueue().claim("worker-1", 10);   // only acme's builds under the application role
 * }</pre>
 *
 * Writes and everything but {@link #analytics()} run on the primary data source; {@link #analytics()} runs on the
 * analytics data source (the primary unless one was given).
 *
 * <p>Every capability is offered by one accessor, here and on a {@link TenantScope} alike: a tenant scope is a
 * {@code HonuaDb} over the same options and data sources whose jOOQ configurations are derived from this one's (same
 * settings and execute listeners) with the tenant set in every transaction. Each DAO is made on first use and then
 * shared ({@link #maintenance()} included: one scheduler per {@code HonuaDb}).
 *
 * <p>Every session the library opens runs with {@link SessionLimits} ({@code lock_timeout}, {@code statement_timeout},
 * {@code idle_in_transaction_session_timeout}; defaults {@link SessionLimits#DEFAULTS}, see
 * {@link Builder#sessionLimits(SessionLimits)}).
 */
public sealed class HonuaDb permits TenantScope {

    /** What the builder fixed; shared by a {@code HonuaDb} and its tenant scopes. */
    private record Options(DataSource givenDataSource, DataSource dataSource, DataSource givenAnalyticsDataSource,
                           SessionLimits sessionLimits, QueueOptions queueOptions, WorkerOptions workerOptions,
                           Optional<KeyProvider> keyProvider, Optional<SlowQueryListener> slowQueryListener,
                           MaintenanceOptions maintenanceOptions) {
    }

    private final Options options;
    private final DSLContext dsl;
    private final DSLContext analyticsDsl;
    private final Memo<BuildQueue> buildQueue;
    private final Memo<BuildCache> buildCache;
    private final Memo<Analytics> analytics;
    private final Memo<PartitionMaintenance> partitions;
    private final Memo<Intake> intake;
    private final Memo<Customers> customers;
    private final Memo<AuditLog> audit;
    private final Memo<BuildMetrics> buildMetrics;
    private final Memo<BuildDependencies> buildDependencies;
    private final Memo<Operations> operations;
    private final Memo<ApiKeys> apiKeys;
    private final Memo<Licenses> licenses;
    private final Memo<RegistryCredentials> registryCredentials;
    private final Memo<MaintenanceScheduler> maintenance;

    private static HonuaDb root(DataSource primary, QueueOptions queueOptions, DataSource analytics,
                                Optional<SlowQueryListener> slowQueryListener, SessionLimits limits,
                                List<ExecuteListener> executeListeners, Optional<KeyProvider> keyProvider,
                                WorkerOptions workerOptions, MaintenanceOptions maintenanceOptions) {
        DataSource dataSource = SessionLimitedDataSource.wrap(primary, limits);
        DataSource analyticsDataSource = analytics == primary ? dataSource : SessionLimitedDataSource.wrap(analytics, limits);
        List<ExecuteListener> listeners = new ArrayList<>();
        slowQueryListener.ifPresent(listeners::add);
        listeners.addAll(executeListeners);
        return new HonuaDb(new Options(primary, dataSource, analytics, limits, queueOptions, workerOptions, keyProvider,
                slowQueryListener, maintenanceOptions), context(dataSource, listeners),
                analyticsDataSource == dataSource ? null : context(analyticsDataSource, listeners));
    }

    /**
     * A tenant scope of {@code base}: its options and data sources, its contexts bound to {@code customerId} (and
     * {@code actor}). Only {@link TenantScope} calls it.
     *
     * @throws io.honua.db.tenancy.TenantAccessDeniedException {@code base} is a scope of another customer
     */
    protected HonuaDb(HonuaDb base, String customerId, Optional<String> actor) {
        this(base.options, Tenancy.bind(base.dsl, customerId, actor),
                base.analyticsDsl == base.dsl ? null : Tenancy.bind(base.analyticsDsl, customerId, actor));
    }

    private HonuaDb(Options options, DSLContext dsl, DSLContext analyticsDslOrNull) {
        this.options = options;
        this.dsl = dsl;
        this.analyticsDsl = analyticsDslOrNull == null ? dsl : analyticsDslOrNull;
        this.buildQueue = Memo.of(() -> Daos.buildQueue(this.dsl, options.queueOptions()));
        this.buildCache = Memo.of(() -> Daos.buildCache(this.dsl));
        this.analytics = Memo.of(() -> Daos.analytics(this.analyticsDsl));
        this.partitions = Memo.of(() -> Daos.partitions(this.dsl));
        this.intake = Memo.of(() -> Daos.intake(this.dsl, buildQueue()));
        this.customers = Memo.of(() -> Daos.customers(this.dsl));
        this.audit = Memo.of(() -> Daos.auditLog(this.dsl));
        this.buildMetrics = Memo.of(() -> Daos.buildMetrics(this.dsl));
        this.buildDependencies = Memo.of(() -> Daos.buildDependencies(this.dsl));
        this.operations = Memo.of(() -> Daos.operations(options.givenDataSource(), this.dsl));   // health reads the pool as given
        this.apiKeys = Memo.of(() -> Daos.apiKeys(this.dsl));
        this.licenses = Memo.of(() -> Daos.licenses(this.dsl, options.keyProvider().orElseThrow(Daos::noKeyProvider)));
        this.registryCredentials =
                Memo.of(() -> Daos.registryCredentials(this.dsl, options.keyProvider().orElseThrow(Daos::noKeyProvider)));
        this.maintenance = Memo.of(() -> Daos.maintenanceScheduler(this.dsl, options.maintenanceOptions()));
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
            return root(primary, queueOptions, analyticsDataSource,
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
                .withRenderSchema(true)
                .withExecuteLogging(false)
                .withFetchWarnings(false)
                .withRenderCatalog(false);
    }

    /** The primary data source as given (the library's own sessions on it run with {@link #sessionLimits()}). */
    public DataSource dataSource() {
        return options.givenDataSource();
    }

    /** The time limits of the library's sessions. */
    public SessionLimits sessionLimits() {
        return options.sessionLimits();
    }

    /**
     * The jOOQ context over the data source, for your own typed queries against the generated classes (on a tenant
     * scope: each statement runs in its own transaction with the tenant set; {@link TenantScope#inTransaction} for several).
     */
    public DSLContext dsl() {
        return dsl;
    }

    public BuildQueue buildQueue() {
        return buildQueue.get();
    }

    /**
     * A worker of this database's queue with the builder's {@link Builder#workerOptions worker options} (override any
     * on the returned builder), listening for new builds on this database's pool; start it with
     * {@link BuildWorker.Builder#start()}.
     */
    public BuildWorker.Builder worker(String workerId, BuildHandler handler) {
        return BuildWorker.builder(buildQueue(), options.dataSource(), workerId, handler).options(options.workerOptions());
    }

    /** The worker defaults given to the builder ({@link WorkerOptions#DEFAULTS} unless set). */
    public WorkerOptions workerOptions() {
        return options.workerOptions();
    }

    /** The shared build cache: lookup, register, access recording (also batched, see {@link BuildCache#recorder}). */
    public BuildCache buildCache() {
        return buildCache.get();
    }

    /** Dashboard queries; they run on {@link #analyticsDataSource()}. */
    public Analytics analytics() {
        return analytics.get();
    }

    /** Partition upkeep of the log tables (runs on the primary). */
    public PartitionMaintenance partitions() {
        return partitions.get();
    }

    /** The data source analytics read from: the replica given to the builder, else the primary. */
    public DataSource analyticsDataSource() {
        return options.givenAnalyticsDataSource();
    }

    /** The jOOQ context over {@link #analyticsDataSource()}, for your own read-only queries. */
    public DSLContext analyticsDsl() {
        return analyticsDsl;
    }

    /** The slow-query listener and its counters, when enabled by {@link Builder#slowQueryThreshold(Duration)}. */
    public Optional<SlowQueryListener> slowQueryListener() {
        return options.slowQueryListener();
    }

    /** The AI intake system: conversations, manifests, extractions and their analytics. */
    public Intake intake() {
        return intake.get();
    }

    /** Customers (tenants); each call sets the tenant it is about for its transaction. */
    public Customers customers() {
        return customers.get();
    }

    /** The append-only, hash-chained audit log. */
    public AuditLog audit() {
        return audit.get();
    }

    /**
     * This {@code HonuaDb} for one tenant: the same capabilities, options and listeners, every transaction with
     * {@code honua.tenant_id} set to {@code customerId}, so that row-level security confines the application role to
     * that tenant's rows. Cheap (no connection is taken until a call). On a tenant scope, the same tenant only.
     *
     * @throws io.honua.db.core.InvalidRequestException a malformed customer id
     * @throws io.honua.db.tenancy.TenantAccessDeniedException called on a scope of another customer
     */
    public TenantScope forTenant(String customerId) {
        return Daos.tenantScope(this, customerId);
    }

    /**
     * The maintenance scheduler of this database, with the builder's {@link Builder#maintenance maintenance options};
     * one instance per {@code HonuaDb}, not started ({@link MaintenanceScheduler#start()}, stop it with
     * {@link MaintenanceScheduler#close()}). Run it with the worker role.
     */
    public MaintenanceScheduler maintenance() {
        return maintenance.get();
    }

    /**
     * Licenses, with their key copies encrypted under the builder's {@link Builder#keyProvider key provider} (see
     * {@link Licenses}); one instance per {@code HonuaDb}.
     *
     * @throws InvalidRequestException no key provider was given to the builder
     */
    public Licenses licenses() {
        return licenses.get();
    }

    /**
     * Registry credentials, encrypted under the builder's {@link Builder#keyProvider key provider} (see
     * {@link RegistryCredentials}); one instance per {@code HonuaDb}.
     *
     * @throws InvalidRequestException no key provider was given to the builder
     */
    public RegistryCredentials registryCredentials() {
        return registryCredentials.get();
    }

    /** API keys for workers and services (see {@link ApiKeys}); one instance per {@code HonuaDb}. */
    public ApiKeys apiKeys() {
        return apiKeys.get();
    }

    /** Build metrics: batch recording and bucketed series of {@code build_metrics} (see {@link BuildMetrics}). */
    public BuildMetrics buildMetrics() {
        return buildMetrics.get();
    }

    /** The transitive dependency graph of a build, in topological order (see {@link BuildDependencies}). */
    public BuildDependencies buildDependencies() {
        return buildDependencies.get();
    }

    /** Readiness ({@link Operations#health()}) and the database's operations view; see {@link Operations} for roles. */
    public Operations operations() {
        return operations.get();
    }
}
