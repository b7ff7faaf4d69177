package io.honua.db.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A uniquely named database on a {@link PostgresServer}, dropped by {@link #close()}. Either empty or migrated to the
 * latest Honua schema (cloned from a template migrated once per JVM, so each one costs a file copy, not a migration).
 */
public final class TestDatabase implements AutoCloseable {

    private static final String MIGRATIONS = "classpath:db/migration";
    private static String template;

    private final PostgresServer server;
    private final String name;
    private final PGSimpleDataSource dataSource;

    private TestDatabase(PostgresServer server, String name) {
        this.server = server;
        this.name = name;
        this.dataSource = new PGSimpleDataSource();
        dataSource.setUrl(server.jdbcUrl(name));
        dataSource.setUser(server.user());
        if (!server.password().isEmpty()) {
            dataSource.setPassword(server.password());
        }
    }

    /** A new empty database on the shared server. */
    public static TestDatabase empty(String hint) {
        PostgresServer server = PostgresProvisioning.shared();
        String name = uniqueName(hint);
        server.createDatabase(name, Optional.empty());
        return new TestDatabase(server, name);
    }

    /** A new database with every migration on the classpath ({@code db/migration}) applied. */
    public static TestDatabase migrated(String hint) {
        PostgresServer server = PostgresProvisioning.shared();
        String name = uniqueName(hint);
        server.createDatabase(name, Optional.of(migratedTemplate(server)));
        return new TestDatabase(server, name);
    }

    private static synchronized String migratedTemplate(PostgresServer server) {
        if (template == null) {
            String name = uniqueName("template");
            server.createDatabase(name, Optional.empty());
            Migrate.apply(server.jdbcUrl(name), server.user(), server.password(), MIGRATIONS);
            template = name;
        }
        return template;
    }

    static String uniqueName(String hint) {
        String clean = hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
        if (clean.length() > 30) {
            clean = clean.substring(clean.length() - 30);
        }
        return "honua_" + clean + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    public String user() {
        return server.user();
    }

    public String password() {
        return server.password();
    }

    public PostgresServer server() {
        return server;
    }

    /** An unpooled {@link DataSource}; wrap it in a pool for concurrency tests. */
    public DataSource dataSource() {
        return dataSource;
    }

    public Connection connect() throws SQLException {
        return dataSource.getConnection();
    }

    @Override
    public void close() {
        server.dropDatabase(name);
    }
}
