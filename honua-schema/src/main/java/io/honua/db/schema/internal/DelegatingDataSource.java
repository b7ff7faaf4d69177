package io.honua.db.schema.internal;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that passes every call to another one; a subclass changes the connections it hands out by
 * overriding {@link #connected(Connection)}. {@link #unwrap} and {@link #isWrapperFor} answer for
 * {@link #unwrapsFirst()} (this data source unless overridden), then for the delegate. Shared by this project's modules
 * (exported to them only); not API.
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

    /** What {@link #unwrap} returns, and {@link #isWrapperFor} accepts, before it asks the delegate: this data source. */
    protected Object unwrapsFirst() {
        return this;
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        Object first = unwrapsFirst();
        return iface.isInstance(first) ? iface.cast(first) : delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(unwrapsFirst()) || delegate.isWrapperFor(iface);
    }
}
