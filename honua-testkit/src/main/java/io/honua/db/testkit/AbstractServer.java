package io.honua.db.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;

/** Database bookkeeping shared by every kind of server: create, drop, and drop everything on close. */
abstract class AbstractServer implements PostgresServer {

    private static final Pattern SAFE_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    private final Set<String> created = new LinkedHashSet<>();
    private boolean closed;

    /** Database used for administrative statements (CREATE/DROP DATABASE). */
    abstract String adminDatabase();

    Connection adminConnection() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user());
        if (!password().isEmpty()) {
            props.setProperty("password", password());
        }
        // the driver directly, not DriverManager: the build runs this in several class loaders (exec:java), and
        // DriverManager only hands out drivers registered by the caller's own loader
        Connection c = new org.postgresql.Driver().connect(jdbcUrl(adminDatabase()), props);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL: " + jdbcUrl(adminDatabase()));
        }
        return c;
    }

    static String checkName(String name) {
        if (name == null || !SAFE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name must match [a-z0-9_]{1,63}: " + name);
        }
        return name;
    }

    @Override
    public synchronized void createDatabase(String name, Optional<String> template) {
        checkName(name);
        template.ifPresent(AbstractServer::checkName);
        String sql = "CREATE DATABASE " + name + template.map(t -> " TEMPLATE " + t).orElse("");
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
            created.add(name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name + " on " + source() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void dropDatabase(String name) {
        checkName(name);
        try (Connection c = adminConnection(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            created.remove(name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop database " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (String name : Set.copyOf(created)) {
                try {
                    dropDatabase(name);
                } catch (RuntimeException e) {
                    System.err.println("[honua-testkit] " + e.getMessage());
                }
            }
        } finally {
            stopServer();
        }
    }

    /** Stops the server process if this library started it. */
    abstract void stopServer();
}
