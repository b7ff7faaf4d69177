package io.honua.db.tenancy;

import io.honua.db.HonuaDb;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Transactions;
import java.util.Optional;
import java.util.function.Function;
import org.jooq.DSLContext;

/**
 * A {@link HonuaDb} for one tenant (customer), obtained from {@link HonuaDb#forTenant(String)}: the same facade, every
 * capability through the same accessor, over jOOQ configurations derived from the {@code HonuaDb}'s (the same
 * settings and execute listeners: slow statements, meters and traces see the tenant's statements too).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Tenant set in every transaction.</b> Every database call made through it runs in a transaction whose first
 *       statement sets {@code honua.tenant_id} to this tenant (SET LOCAL: it ends with the transaction, a pooled
 *       connection never carries it on), so under the application role {@code honua_app} row-level security shows
 *       and accepts only this tenant's rows, whatever the query says. Capabilities that aggregate across tenants
 *       (analytics, operations, partitions, maintenance) see only what the tenant's role and setting let them.</li>
 *   <li><b>No other customer.</b> A DAO method that takes a customer id refuses any other customer id with
 *       {@link TenantAccessDeniedException} before anything runs (audit, API keys, licenses, credentials); the
 *       customers DAO does not see other customers (find: empty; changes: unknown). A scope cannot be turned into a
 *       scope of another tenant ({@link #forTenant}: {@link TenantAccessDeniedException}).</li>
 *   <li><b>Actor.</b> {@link #as(String)} names the actor recorded in audit events, set in the same transactions.</li>
 * </ul>
 *
 * <p>Cheap to create (no connection is taken until a call; DAOs are made on first use); thread-safe.
 */
public final class TenantScope extends HonuaDb {

    private final HonuaDb base;
    private final String customerId;
    private final Optional<String> actor;

    TenantScope(HonuaDb base, String customerId) {
        this(base, customerId, Optional.empty());
    }

    private TenantScope(HonuaDb base, String customerId, Optional<String> actor) {
        super(base, customerId, actor);
        this.base = base;
        this.customerId = customerId;
        this.actor = actor;
    }

    /** The same scope, recording {@code actor} (1..200 characters) as the actor of the changes it makes. */
    public TenantScope as(String actor) {
        return new TenantScope(base, customerId, Optional.of(Checks.text(actor, "actor", 200)));
    }

    public String customerId() {
        return customerId;
    }

    public Optional<String> actor() {
        return actor;
    }

    /**
     * Runs {@code work} in one transaction with this tenant (and actor) set; commits when it returns, rolls back when
     * it throws. The context handed to {@code work} stays bound to this tenant.
     */
    public <T> T inTransaction(Function<DSLContext, T> work) {
        return Transactions.inTransaction(dsl(), Checks.notNull(work, "work"));
    }
}
