package io.honua.db.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jooq.ConnectionProvider;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The connections of a tenant-bound context ({@link Tenancy#bind}): each one the delegate hands out, inside a
 * transaction whose first statement sets the tenant (and actor). A connection that is already inside a transaction
 * (the caller's) is joined: the settings are made in it, and {@link #release} leaves its end to the caller. Otherwise
 * {@link #release} commits (rolls back when the transaction failed) and restores auto-commit.
 */
final class TenantConnectionProvider implements ConnectionProvider {

    private final ConnectionProvider delegate;
    private final String tenant;
    private final Optional<String> actor;
    /** Connections acquired inside a caller's transaction, with how many acquisitions of each are open (guarded by this). */
    private final Map<Connection, Integer> joined = new IdentityHashMap<>();
    /** Connections whose transaction this provider began and ends at {@link #release} (guarded by this). */
    private final Set<Connection> began = Collections.newSetFromMap(new IdentityHashMap<>());

    TenantConnectionProvider(ConnectionProvider delegate, String tenant, Optional<String> actor) {
        this.delegate = delegate;
        this.tenant = tenant;
        this.actor = actor;
    }

    /** The provider this one takes its connections from. */
    ConnectionProvider delegate() {
        return delegate;
    }

    @Override
    public Connection acquire() {
        Connection c = delegate.acquire();
        boolean join = false;
        try {
            join = !c.getAutoCommit();
            if (join) {
                synchronized (this) {
                    joined.merge(c, 1, Integer::sum);
                }
            } else {
                c.setAutoCommit(false);
                synchronized (this) {
                    began.add(c);
                }
            }
            Tenancy.set(DSL.using(c, SQLDialect.POSTGRES), tenant, actor);
            return c;
        } catch (SQLException | RuntimeException e) {
            if (join) {
                unjoin(c);
                delegate.release(c);
            } else {
                synchronized (this) {
                    began.remove(c);
                }
                abandon(c, e);
            }
            throw e instanceof DataAccessException d ? d : new DataAccessException("cannot open a tenant transaction", e);
        }
    }

    @Override
    public void release(Connection c) {
        if (unjoin(c)) {
            delegate.release(c);
            return;
        }
        synchronized (this) {
            began.remove(c);
        }
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
            } catch (SQLException e) {
                // the pool discards a connection it cannot reset
            }
            delegate.release(c);
        }
    }

    /**
     * Whether this provider began the transaction {@code c} is in (rather than joining the caller's): a failed unit of
     * work on it is rolled back by {@link Transactions#inTransaction}, the commit at {@link #release} is then empty.
     */
    boolean began(Connection c) {
        synchronized (this) {
            return began.contains(c);
        }
    }

    /** @return whether {@code c} was acquired inside a caller's transaction (one such acquisition is now closed) */
    private boolean unjoin(Connection c) {
        synchronized (this) {
            Integer open = joined.get(c);
            if (open == null) {
                return false;
            }
            if (open == 1) {
                joined.remove(c);
            } else {
                joined.put(c, open - 1);
            }
            return true;
        }
    }

    private static boolean failed(Connection c) throws SQLException {
        return c.isWrapperFor(BaseConnection.class) && c.unwrap(BaseConnection.class).getTransactionState() == TransactionState.FAILED;
    }

    private void abandon(Connection c, Exception cause) {
        try {
            c.rollback();
            c.setAutoCommit(true);
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
        delegate.release(c);
    }
}
