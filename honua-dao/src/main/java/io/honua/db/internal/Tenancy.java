package io.honua.db.internal;

import io.honua.db.tenancy.TenantAccessDeniedException;
import io.honua.db.types.CustomerId;
import java.util.Optional;
import java.util.function.Function;
import org.jooq.Configuration;
import org.jooq.ConnectionProvider;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * The one place where a tenant is applied. A tenant-bound context ({@link #bind}) is a jOOQ {@link Configuration}
 * derived from the caller's (same settings, same execute listeners) whose every connection is inside a transaction
 * that first sets {@value #TENANT_SETTING} (and {@value #ACTOR_SETTING} when an actor is given) with
 * {@code set_config(..., true)}, i.e. SET LOCAL: the settings end with the transaction, so a pooled connection never
 * carries them to its next user. A {@code TenantScope} is a {@code HonuaDb} over such contexts; a DAO method that takes
 * a customer id runs its transaction through {@link #inTenant}, which binds the same way.
 *
 * <p>A bound context cannot be re-bound to another customer ({@link TenantAccessDeniedException}, before anything
 * runs), and the binding survives every context derived from it (the connection of a transaction included), so a
 * scope's DAOs cannot switch their own tenant setting to reach another tenant's rows.
 */
public final class Tenancy {

    /** Name of the session setting the row-level security policies read to know the current tenant (customer id). */
    public static final String TENANT_SETTING = "honua.tenant_id";

    /** Name of the session setting the audit triggers read as the actor of a change. */
    public static final String ACTOR_SETTING = "honua.actor";

    /** {@link Configuration#data} key of the customer id a context is bound to (copied into derived configurations). */
    private static final String BOUND = "io.honua.db.tenant";

    /** {@code pg_catalog.set_config}, qualified: nothing on the session's search_path can stand in for it. */
    private static final org.jooq.Name SET_CONFIG = DSL.name("pg_catalog", "set_config");

    private Tenancy() {
    }

    /**
     * A context like {@code dsl} whose every statement or transaction runs with {@code customerId} (and {@code actor})
     * set. On a context already bound to {@code customerId}, {@code dsl} itself when no actor is given.
     *
     * @throws TenantAccessDeniedException {@code dsl} is bound to another customer (nothing is said about it)
     * @throws io.honua.db.core.InvalidRequestException a malformed customer id or actor
     */
    public static DSLContext bind(DSLContext dsl, String customerId, Optional<String> actor) {
        CustomerId.check(customerId);
        actor.ifPresent(a -> Checks.text(a, "actor", 200));
        Optional<String> bound = boundTenant(dsl);
        if (bound.isPresent()) {
            if (!bound.get().equals(customerId)) {
                throw new TenantAccessDeniedException("this tenant scope acts for customer " + bound.get()
                        + " only; another customer id was given");
            }
            if (actor.isEmpty()) {
                return dsl;
            }
        }
        ConnectionProvider connections = dsl.configuration().connectionProvider();
        if (connections instanceof TenantConnectionProvider same) {
            connections = same.delegate();   // the same tenant, now with an actor: one transaction, set once
        }
        Configuration c = dsl.configuration().derive(new TenantConnectionProvider(connections, customerId, actor));
        c.data(BOUND, customerId);
        return c.dsl();
    }

    /** The customer id {@code dsl} is bound to, if any. */
    public static Optional<String> boundTenant(DSLContext dsl) {
        return Optional.ofNullable((String) dsl.configuration().data(BOUND));
    }

    /**
     * Runs {@code work} in one transaction with {@code customerId} set (joins the caller's transaction when {@code dsl}
     * is inside one; the setting then lasts until that transaction ends).
     *
     * @throws TenantAccessDeniedException {@code dsl} is bound to another customer; nothing ran
     */
    public static <T> T inTenant(DSLContext dsl, String customerId, Function<DSLContext, T> work) {
        return Transactions.inTransaction(bind(dsl, customerId, Optional.empty()), work);
    }

    /**
     * As {@link #inTenant}, but on a context bound to a tenant the work runs as that tenant whatever
     * {@code customerId} is: another customer is then simply not visible (row-level security), instead of refused.
     */
    public static <T> T inTenantOrScope(DSLContext dsl, String customerId, Function<DSLContext, T> work) {
        return boundTenant(dsl).isPresent() ? Transactions.inTransaction(dsl, work) : inTenant(dsl, customerId, work);
    }

    /**
     * Sets the tenant (and actor) for the current transaction of {@code tx}'s connection only: the one statement that
     * writes them. The caller has checked both values.
     */
    static void set(DSLContext tx, String customerId, Optional<String> actor) {
        var tenant = DSL.function(SET_CONFIG, String.class, DSL.val(TENANT_SETTING), DSL.val(customerId), DSL.inline(true));
        if (actor.isPresent()) {
            tx.select(tenant, DSL.function(SET_CONFIG, String.class, DSL.val(ACTOR_SETTING), DSL.val(actor.get()), DSL.inline(true)))
                    .fetch();
        } else {
            tx.select(tenant).fetch();
        }
    }
}
