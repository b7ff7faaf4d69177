package io.honua.db.internal;

import io.honua.db.core.SessionLimits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * A {@link DataSource} whose connections run with {@link SessionLimits}. The limits are set once per physical
 * connection (recognised through {@link PGConnection}; a pool's proxy unwraps to it), so a pooled connection costs
 * one extra round trip in its life, not one per use. A driver that does not unwrap to {@link PGConnection} gets the
 * limits on every {@link #getConnection()}.
 */
public final class SessionLimitedDataSource extends DelegatingDataSource {

    private static final String SQL =
            "SELECT pg_catalog.set_config('lock_timeout', ?, false), pg_catalog.set_config('statement_timeout', ?, false), "
                    + "pg_catalog.set_config('idle_in_transaction_session_timeout', ?, false)";

    private final SessionLimits limits;
    private final Map<Object, Boolean> configured = Collections.synchronizedMap(new WeakHashMap<>());

    private SessionLimitedDataSource(DataSource delegate, SessionLimits limits) {
        super(delegate);
        this.limits = limits;
    }

    /** {@code dataSource} with {@code limits}; the data source itself when the limits are {@link SessionLimits#NONE}. */
    public static DataSource wrap(DataSource dataSource, SessionLimits limits) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(limits, "limits");
        if (limits.equals(SessionLimits.NONE) || dataSource instanceof SessionLimitedDataSource s && s.limits.equals(limits)) {
            return dataSource;
        }
        return new SessionLimitedDataSource(dataSource, limits);
    }

    /** The limits this data source applies. */
    public SessionLimits limits() {
        return limits;
    }

    @Override
    protected Connection connected(Connection c) throws SQLException {
        try {
            Object physical = c.isWrapperFor(PGConnection.class) ? c.unwrap(PGConnection.class) : null;
            if (physical != null && configured.containsKey(physical)) {
                return c;
            }
            try (PreparedStatement ps = c.prepareStatement(SQL)) {
                ps.setString(1, millis(limits.lockTimeout()));
                ps.setString(2, millis(limits.statementTimeout()));
                ps.setString(3, millis(limits.idleInTransactionTimeout()));
                ps.execute();
            }
            if (!c.getAutoCommit()) {
                c.commit();   // a session setting made inside a transaction would be undone by its rollback
            }
            if (physical != null) {
                configured.put(physical, Boolean.TRUE);
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException s) {
                e.addSuppressed(s);
            }
            throw e;
        }
    }

    /** The value PostgreSQL takes for the setting: milliseconds, {@code 0} = off. */
    private static String millis(Duration d) {
        return Long.toString(d.toMillis());
    }
}
