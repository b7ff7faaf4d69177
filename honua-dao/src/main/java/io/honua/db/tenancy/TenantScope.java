package io.honua.db.tenancy;

import io.honua.db.HonuaDb;
import io.honua.db.apikeys.ApiKeys;
import io.honua.db.audit.AuditLog;
import io.honua.db.cache.BuildCache;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.credentials.RegistryCredentials;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Daos;
import io.honua.db.internal.Transactions;
import io.honua.db.intake.Intake;
import io.honua.db.licensing.Licenses;
import io.honua.db.metrics.BuildMetrics;
import io.honua.db.queue.BuildDependencies;
import io.honua.db.queue.BuildQueue;
import io.honua.db.queue.QueueOptions;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;
import org.jooq.DSLContext;

/**
 * Everything one tenant (customer) may do, obtained from {@link HonuaDb#forTenant(String)}. Every database call made
 * through it runs in a transaction that sets {@code honua.tenant_id} to this tenant first (SET LOCAL), so under the
 * application role {@code honua_app} the database's row-level security shows and accepts only this tenant's rows,
 * whatever the query says. Optionally names the actor recorded in audit events ({@link #as(String)}). A DAO of the
 * scope whose methods take a customer id (audit, API keys, licenses, credentials) refuses any other customer id with
 * {@link TenantAccessDeniedException} before anything runs. Its jOOQ configuration is derived from the
 * {@code HonuaDb}'s: the same settings and execute listeners apply.
 *
 * <p>It offers every capability that acts for one tenant: customers, build queue, dependencies, metrics, cache, intake,
 * audit, API keys, licenses and registry credentials. Analytics, partition maintenance and operations are not tenant
 * capabilities (cross-tenant aggregates, partitions of shared tables, server health) and are reached through
 * {@link HonuaDb} by the roles granted them.
 *
 * <p>Cheap to create (no connection is taken until a call); thread-safe.
 */
public final class TenantScope {

    private final DataSource dataSource;
    private final DSLContext dsl;
    private final QueueOptions queueOptions;
    private final Optional<KeyProvider> keys;
    private final String customerId;
    private final Optional<String> actor;

    TenantScope(DataSource dataSource, DSLContext dsl, QueueOptions queueOptions, Optional<KeyProvider> keys, String customerId) {
        this(dataSource, dsl, queueOptions, keys, Customers.checkId(customerId), Optional.empty());
    }

    private TenantScope(DataSource dataSource, DSLContext dsl, QueueOptions queueOptions, Optional<KeyProvider> keys,
            String customerId, Optional<String> actor) {
        this.dataSource = dataSource;
        this.dsl = dsl;
        this.queueOptions = queueOptions;
        this.keys = keys;
        this.customerId = customerId;
        this.actor = actor;
    }

    /** The same scope, recording {@code actor} (1..200 characters) as the actor of the changes it makes. */
    public TenantScope as(String actor) {
        return new TenantScope(dataSource, dsl, queueOptions, keys, customerId, Optional.of(Checks.text(actor, "actor", 200)));
    }

    public String customerId() {
        return customerId;
    }

    public Optional<String> actor() {
        return actor;
    }

    /** The customers DAO limited to this tenant: other customers are invisible (find: empty; changes: unknown). */
    public Customers customers() {
        return new Customers(dsl, Optional.of(customerId), actor);
    }

    /**
     * The build queue seen by this tenant: every call is its own transaction with the tenant set (multi-statement
     * queue operations join it). Claims only take this tenant's builds under {@code honua_app}.
     */
    public BuildQueue buildQueue() {
        return Daos.buildQueue(tenantDsl(), queueOptions);
    }

    /** Build metrics of this tenant's builds: another tenant's build is unknown under {@code honua_app}. */
    public BuildMetrics buildMetrics() {
        return Daos.buildMetrics(tenantDsl());
    }

    /** Dependency graphs over this tenant's builds (under {@code honua_app} other tenants' builds are not walked). */
    public BuildDependencies buildDependencies() {
        return Daos.buildDependencies(tenantDsl());
    }

    /**
     * The build cache as this tenant uses it: lookups, registrations and access records for this tenant's customer
     * id (another customer id is unknown under {@code honua_app}); entries stay shared by manifest hash and tier.
     */
    public BuildCache buildCache() {
        return Daos.buildCache(tenantDsl());
    }

    /**
     * The AI intake system limited to this tenant: its conversations, messages, extractions and manifests; manifests
     * are enqueued through this tenant's {@link #buildQueue()}.
     */
    public Intake intake() {
        return Daos.intake(tenantDsl(), buildQueue());
    }

    /**
     * This tenant's audit log: recording, listing and verifying its hash chain. Another customer id is
     * {@link TenantAccessDeniedException} before anything runs.
     */
    public AuditLog audit() {
        return Daos.auditLog(tenantDsl());
    }

    /**
     * This tenant's API keys: create, list, find, revoke (another customer id: {@link TenantAccessDeniedException},
     * nothing changed). {@code verify} of a presented key finds only this tenant's keys under {@code honua_app}.
     */
    public ApiKeys apiKeys() {
        return Daos.apiKeys(tenantDsl());
    }

    /**
     * This tenant's licenses, with the {@link HonuaDb}'s key provider (another customer id:
     * {@link TenantAccessDeniedException}, nothing changed).
     *
     * @throws InvalidRequestException the {@code HonuaDb} was built without a key provider
     */
    public Licenses licenses() {
        return Daos.licenses(tenantDsl(), keys.orElseThrow(Daos::noKeyProvider));
    }

    /**
     * This tenant's registry credentials, with the {@link HonuaDb}'s key provider (another customer id:
     * {@link TenantAccessDeniedException}, nothing changed).
     *
     * @throws InvalidRequestException the {@code HonuaDb} was built without a key provider
     */
    public RegistryCredentials registryCredentials() {
        return Daos.registryCredentials(tenantDsl(), keys.orElseThrow(Daos::noKeyProvider));
    }

    /**
     * A jOOQ context whose every statement (or {@link Transactions#inTransaction} block) runs in its own transaction
     * with this tenant set, for your own typed queries. Derived from the {@link HonuaDb}'s configuration: the same
     * settings and execute listeners (slow statements, meters) see the tenant's statements.
     */
    public DSLContext tenantDsl() {
        return dsl.configuration().derive(new TenantConnectionProvider(dataSource, customerId, actor)).dsl();
    }

    /** Runs {@code work} in one transaction with this tenant (and actor) set; commits when it returns. */
    public <T> T inTransaction(Function<DSLContext, T> work) {
        Checks.notNull(work, "work");
        return actor.isPresent()
                ? Transactions.inTenant(dsl, customerId, actor.get(), work)
                : Transactions.inTenant(dsl, customerId, work);
    }
}
