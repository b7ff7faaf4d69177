package io.honua.db.internal;

import io.honua.db.HonuaDb;
import io.honua.db.analytics.Analytics;
import io.honua.db.apikeys.ApiKeys;
import io.honua.db.audit.AuditLog;
import io.honua.db.cache.BuildCache;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.credentials.RegistryCredentials;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.intake.Intake;
import io.honua.db.licensing.Licenses;
import io.honua.db.maintenance.MaintenanceOptions;
import io.honua.db.maintenance.MaintenanceScheduler;
import io.honua.db.metrics.BuildMetrics;
import io.honua.db.operations.Operations;
import io.honua.db.partitions.PartitionMaintenance;
import io.honua.db.queue.BuildDependencies;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.QueueOptions;
import io.honua.db.tenancy.Customers;
import io.honua.db.tenancy.TenantScope;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import javax.sql.DataSource;
import org.jooq.DSLContext;

/**
 * The one place that constructs DAOs. Their constructors are package-private, so an application obtains every DAO
 * from {@link io.honua.db.HonuaDb} (or a {@link TenantScope}) and never wires one by hand; {@code HonuaDb} and
 * {@code TenantScope} live in other packages and construct them through this class. Not exported.
 *
 * <p>Reaches the package-private constructors through a private {@link MethodHandles.Lookup} in the DAO's class: a
 * module always opens its packages to itself, so this works on the module path and on the class path alike.
 */
public final class Daos {

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();

    private static final MethodHandle BUILD_QUEUE = constructor(BuildQueue.class, DSLContext.class, QueueOptions.class);
    private static final MethodHandle BUILD_CACHE = constructor(BuildCache.class, DSLContext.class);
    private static final MethodHandle ANALYTICS = constructor(Analytics.class, DSLContext.class);
    private static final MethodHandle PARTITIONS = constructor(PartitionMaintenance.class, DSLContext.class);
    private static final MethodHandle INTAKE = constructor(Intake.class, DSLContext.class, BuildQueue.class);
    private static final MethodHandle CUSTOMERS = constructor(Customers.class, DSLContext.class);
    private static final MethodHandle AUDIT = constructor(AuditLog.class, DSLContext.class);
    private static final MethodHandle BUILD_METRICS = constructor(BuildMetrics.class, DSLContext.class);
    private static final MethodHandle BUILD_DEPENDENCIES = constructor(BuildDependencies.class, DSLContext.class);
    private static final MethodHandle OPERATIONS = constructor(Operations.class, DataSource.class, DSLContext.class);
    private static final MethodHandle API_KEYS = constructor(ApiKeys.class, DSLContext.class);
    private static final MethodHandle LICENSES = constructor(Licenses.class, DSLContext.class, KeyProvider.class);
    private static final MethodHandle REGISTRY_CREDENTIALS =
            constructor(RegistryCredentials.class, DSLContext.class, KeyProvider.class);
    private static final MethodHandle MAINTENANCE =
            constructor(MaintenanceScheduler.class, DSLContext.class, MaintenanceOptions.class);
    private static final MethodHandle TENANT_SCOPE = constructor(TenantScope.class, HonuaDb.class, String.class);

    private Daos() {
    }

    private static MethodHandle constructor(Class<?> type, Class<?>... parameters) {
        try {
            return MethodHandles.privateLookupIn(type, LOOKUP).findConstructor(type, MethodType.methodType(void.class, parameters));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static BuildQueue buildQueue(DSLContext dsl, QueueOptions options) {
        return (BuildQueue) create(BUILD_QUEUE, dsl, options);
    }

    public static BuildCache buildCache(DSLContext dsl) {
        return (BuildCache) create(BUILD_CACHE, dsl);
    }

    public static Analytics analytics(DSLContext dsl) {
        return (Analytics) create(ANALYTICS, dsl);
    }

    public static PartitionMaintenance partitions(DSLContext dsl) {
        return (PartitionMaintenance) create(PARTITIONS, dsl);
    }

    public static Intake intake(DSLContext dsl, BuildQueue queue) {
        return (Intake) create(INTAKE, dsl, queue);
    }

    public static Customers customers(DSLContext dsl) {
        return (Customers) create(CUSTOMERS, dsl);
    }

    public static AuditLog auditLog(DSLContext dsl) {
        return (AuditLog) create(AUDIT, dsl);
    }

    public static BuildMetrics buildMetrics(DSLContext dsl) {
        return (BuildMetrics) create(BUILD_METRICS, dsl);
    }

    public static BuildDependencies buildDependencies(DSLContext dsl) {
        return (BuildDependencies) create(BUILD_DEPENDENCIES, dsl);
    }

    public static Operations operations(DataSource dataSource, DSLContext dsl) {
        return (Operations) create(OPERATIONS, dataSource, dsl);
    }

    public static ApiKeys apiKeys(DSLContext dsl) {
        return (ApiKeys) create(API_KEYS, dsl);
    }

    public static Licenses licenses(DSLContext dsl, KeyProvider keys) {
        return (Licenses) create(LICENSES, dsl, keys);
    }

    public static RegistryCredentials registryCredentials(DSLContext dsl, KeyProvider keys) {
        return (RegistryCredentials) create(REGISTRY_CREDENTIALS, dsl, keys);
    }

    public static MaintenanceScheduler maintenanceScheduler(DSLContext dsl, MaintenanceOptions options) {
        return (MaintenanceScheduler) create(MAINTENANCE, dsl, options);
    }

    public static TenantScope tenantScope(HonuaDb base, String customerId) {
        return (TenantScope) create(TENANT_SCOPE, base, customerId);
    }

    /** The error of an encrypting DAO asked for when the {@code HonuaDb} was built without a key provider. */
    public static InvalidRequestException noKeyProvider() {
        return new InvalidRequestException("no key provider: build the HonuaDb with HonuaDb.builder(ds).keyProvider(keys)");
    }

    /** Invokes a constructor; what it throws (argument checks) passes through unchanged. */
    private static Object create(MethodHandle constructor, Object... arguments) {
        try {
            return constructor.invokeWithArguments(arguments);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("constructing a DAO", e);
        }
    }
}
