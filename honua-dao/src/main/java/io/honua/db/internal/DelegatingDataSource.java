package io.honua.db.internal;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that passes every call to another one; a subclass changes the connections it hands out by
 * overriding {@link #connected(Connection)}. {@link #unwrap} and {@link #isWrapperFor} answer for this data source
 * first, then for the delegate. Not exported.
 */
public abstract class DelegatingDataSource implements DataSource {

    /** The data source every call goes to. */
    protected final DataSource delegate;

    protected DelegatingDataSource(DataSource delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * What {@link #getConnection()} and {@link #getConnection(String, String)} return for a connection the delegate
     * handed out: the connection itself unless overridden. An override that throws must close the connection.
     */
    protected Connection connected(Connection c) throws SQLException {
        return c;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return connected(delegate.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return connected(delegate.getConnection(username, password));
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return delegate.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }
}
