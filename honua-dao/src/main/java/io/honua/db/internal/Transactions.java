package io.honua.db.internal;

import io.honua.db.tenancy.TenantAccessDeniedException;
import io.honua.db.types.CustomerId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * Runs work in one plain JDBC transaction on one pooled connection: auto-commit off, commit or roll back, auto-commit
 * restored. The same round trips a hand-written JDBC transaction costs, no savepoints. Used by the DAOs.
 */
public final class Transactions {

    private Transactions() {
    }

    public static <T> T inTransaction(DSLContext dsl, Function<DSLContext, T> work) {
        return dsl.connectionResult(connection -> {
            boolean autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                // already inside the caller's transaction: join it
                return work.apply(bind(dsl, connection));
            }
            connection.setAutoCommit(false);
            try {
                T result = work.apply(bind(dsl, connection));
                connection.commit();
                return result;
            } catch (RuntimeException | Error e) {
                rollback(connection, e);
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        });
    }

    /** Name of the session setting the row-level security policies read to know the current tenant (customer id). */
    public static final String TENANT_SETTING = "honua.tenant_id";

    /**
     * Runs work in one transaction whose first statement sets {@value #TENANT_SETTING} to the customer id for this
     * transaction only ({@code set_config(..., true)}, the function form of {@code SET LOCAL}). Joins the caller's
     * transaction when there is one; the setting then stays until that transaction ends.
     */
    public static <T> T inTenant(DSLContext dsl, String customerId, Function<DSLContext, T> work) {
        CustomerId.check(customerId);
        requireScope(dsl, customerId);
        return inTransaction(dsl, tx -> {
            setTenant(tx, customerId, Optional.empty());
            return work.apply(tx);
        });
    }

    /** A context on the one connection; keeps the caller's execute listeners (slow-query counters) when it has any. */
    private static DSLContext bind(DSLContext dsl, Connection connection) {
        return dsl.configuration().executeListenerProviders().length == 0
                ? DSL.using(connection, dsl.dialect(), dsl.settings())
                : dsl.configuration().derive(connection).dsl();
    }

    /** Name of the session setting the audit triggers read as the actor of a change. */
    public static final String ACTOR_SETTING = "honua.actor";

    /**
     * As {@link #inTenant(DSLContext, String, Function)}, also setting {@value #ACTOR_SETTING} (who is acting, recorded
     * by the audit triggers) for this transaction only.
     */
    public static <T> T inTenant(DSLContext dsl, String customerId, String actor, Function<DSLContext, T> work) {
        CustomerId.check(customerId);
        Checks.text(actor, "actor", 200);
        requireScope(dsl, customerId);
        return inTransaction(dsl, tx -> {
            setTenant(tx, customerId, Optional.of(actor));
            return work.apply(tx);
        });
    }

    /**
     * On a context bound to one tenant ({@link TenantBound}: a {@code TenantScope}'s DAOs), another customer id is
     * refused before anything runs: a scope cannot switch its own tenant setting to reach another tenant's rows.
     *
     * @throws TenantAccessDeniedException {@code customerId} is not the scope's tenant (nothing is said about it)
     */
    static void requireScope(DSLContext dsl, String customerId) {
        if (dsl.configuration().connectionProvider() instanceof TenantBound bound && !bound.tenant().equals(customerId)) {
            throw new TenantAccessDeniedException("this tenant scope acts for customer " + bound.tenant()
                    + " only; another customer id was given");
        }
    }

    /**
     * Sets {@value #TENANT_SETTING} (and {@value #ACTOR_SETTING} when an actor is given) for the current transaction of
     * {@code tx}'s connection only ({@code set_config(..., true)}): the one statement that writes the tenant, used by
     * {@link #inTenant} and by tenant-bound connections. The caller has checked both values.
     */
    public static void setTenant(DSLContext tx, String customerId, Optional<String> actor) {
        var tenant = DSL.function("set_config", String.class, DSL.val(TENANT_SETTING), DSL.val(customerId), DSL.inline(true));
        if (actor.isPresent()) {
            tx.select(tenant, DSL.function("set_config", String.class, DSL.val(ACTOR_SETTING), DSL.val(actor.get()), DSL.inline(true)))
                    .fetch();
        } else {
            tx.select(tenant).fetch();
        }
    }

    private static void rollback(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(new DataAccessException("rollback failed", e));
        }
    }
}
