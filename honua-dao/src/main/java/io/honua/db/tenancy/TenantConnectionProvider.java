package io.honua.db.tenancy;

import io.honua.db.internal.TenantBound;
import io.honua.db.internal.Transactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.ConnectionProvider;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * Hands out connections that are inside a transaction whose tenant (and actor) are set with
 * {@code set_config(..., true)}, i.e. SET LOCAL: the settings end with the transaction, so a pooled connection never
 * carries them to its next user. {@link #release} commits (rolls back when the transaction failed).
 *
 * <p>A DAO running on such a context sees each acquisition as "already in the caller's transaction" and joins it.
 */
final class TenantConnectionProvider implements ConnectionProvider, TenantBound {

    private final DataSource dataSource;
    private final String tenant;
    private final Optional<String> actor;

    TenantConnectionProvider(DataSource dataSource, String tenant, Optional<String> actor) {
        this.dataSource = dataSource;
        this.tenant = tenant;
        this.actor = actor;
    }

    @Override
    public String tenant() {
        return tenant;
    }

    @Override
    public Connection acquire() {
        Connection c = null;
        try {
            c = dataSource.getConnection();
            c.setAutoCommit(false);
            Transactions.setTenant(DSL.using(c, SQLDialect.POSTGRES), tenant, actor);
            return c;
        } catch (SQLException | RuntimeException e) {
            if (c != null) {
                closeQuietly(c, e);
            }
            throw e instanceof DataAccessException d ? d : new DataAccessException("cannot open a tenant transaction", e);
        }
    }

    @Override
    public void release(Connection c) {
        try {
            if (!c.getAutoCommit()) {
                if (failed(c)) {
                    c.rollback();
                } else {
                    c.commit();
                }
            }
        } catch (SQLException e) {
            try {
                c.rollback();
            } catch (SQLException r) {
                e.addSuppressed(r);
            }
            throw new DataAccessException("commit of the tenant transaction failed", e);
        } finally {
            try {
                c.setAutoCommit(true);
                c.close();
            } catch (SQLException e) {
                // the pool discards a connection it cannot reset
            }
        }
    }

    private static boolean failed(Connection c) throws SQLException {
        return c.isWrapperFor(BaseConnection.class) && c.unwrap(BaseConnection.class).getTransactionState() == TransactionState.FAILED;
    }

    private static void closeQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
            c.setAutoCommit(true);
            c.close();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
