package io.honua.db.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * Runs work in one plain JDBC transaction on one pooled connection: auto-commit off, commit or roll back, auto-commit
 * restored. The same round trips a hand-written JDBC transaction costs, no savepoints. Used by the DAOs; a
 * transaction with a tenant set is {@link Tenancy#inTenant}.
 */
public final class Transactions {

    private Transactions() {
    }

    public static <T> T inTransaction(DSLContext dsl, Function<DSLContext, T> work) {
        return dsl.connectionResult(connection -> {
            boolean autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                // already inside the caller's transaction, or one a tenant-bound context began for this work: join it
                try {
                    return work.apply(bind(dsl, connection));
                } catch (RuntimeException | Error e) {
                    if (dsl.configuration().connectionProvider() instanceof TenantConnectionProvider tenant && tenant.began(connection)) {
                        rollback(connection, e);
                    }
                    throw e;
                }
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

    /**
     * A context on the one connection; keeps the caller's execute listeners (slow-query counters) and its tenant
     * binding ({@link Tenancy}) when it has any.
     */
    private static DSLContext bind(DSLContext dsl, Connection connection) {
        return dsl.configuration().executeListenerProviders().length == 0 && Tenancy.boundTenant(dsl).isEmpty()
                ? DSL.using(connection, dsl.dialect(), dsl.settings())
                : dsl.configuration().derive(connection).dsl();
    }

    private static void rollback(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(new DataAccessException("rollback failed", e));
        }
    }
}
