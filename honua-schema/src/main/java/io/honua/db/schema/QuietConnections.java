package io.honua.db.schema;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A data source whose connections run with {@code client_min_messages = warning} while they are borrowed, and get
 * {@code RESET client_min_messages} before they are closed (returned to the service's pool unchanged). The migrations'
 * {@code DROP ... IF EXISTS} notices ("... does not exist, skipping") are then not sent by the server at all, so Flyway
 * has nothing to log for them. Warnings and errors still arrive.
 */
final class QuietConnections implements DataSource {

    private final DataSource target;

    private QuietConnections(DataSource target) {
        this.target = target;
    }

    static DataSource of(DataSource target) {
        return new QuietConnections(target);
    }

    @Override
    public Connection getConnection() throws SQLException {
        return quiet(target.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return quiet(target.getConnection(username, password));
    }

    private static Connection quiet(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET client_min_messages = warning");
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        if (!c.getAutoCommit()) {
            c.commit(); // a pool may hand out connections in manual-commit mode: keep the setting past a rollback
        }
        InvocationHandler handler = new Handler(c);
        return (Connection) Proxy.newProxyInstance(QuietConnections.class.getClassLoader(), new Class<?>[] {Connection.class}, handler);
    }

    private static final class Handler implements InvocationHandler {
        private final Connection target;
        private boolean closed;

        Handler(Connection target) {
            this.target = target;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "close" -> {
                    if (!closed) {
                        closed = true;
                        reset();
                        target.close();
                    }
                    return null;
                }
                case "isClosed" -> {
                    return closed || target.isClosed();
                }
                case "equals" -> {
                    return proxy == args[0];
                }
                case "hashCode" -> {
                    return System.identityHashCode(proxy);
                }
                case "toString" -> {
                    return "quiet(" + target + ")";
                }
                default -> {
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
            }
        }

        private void reset() {
            try {
                if (target.isClosed()) {
                    return;
                }
                if (!target.getAutoCommit()) {
                    target.rollback();
                }
                try (Statement s = target.createStatement()) {
                    s.execute("RESET client_min_messages");
                }
                if (!target.getAutoCommit()) {
                    target.commit();
                }
            } catch (SQLException e) {
                // a broken connection: the pool discards it anyway
            }
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(target) ? iface.cast(target) : target.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(target) || target.isWrapperFor(iface);
    }
}
