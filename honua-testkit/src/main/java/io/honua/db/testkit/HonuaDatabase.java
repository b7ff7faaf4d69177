package io.honua.db.testkit;

import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension giving a test class its own database on the shared server, dropped after the class:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final HonuaDatabase db = HonuaDatabase.migrated();
 * }</pre>
 *
 * The server is chosen by {@link PostgresProvisioning} once per JVM and shared by every test class.
 */
public final class HonuaDatabase implements BeforeAllCallback, AfterAllCallback {

    private final boolean migrated;
    private TestDatabase database;

    private HonuaDatabase(boolean migrated) {
        this.migrated = migrated;
    }

    /** A database with the whole Honua schema applied. */
    public static HonuaDatabase migrated() {
        return new HonuaDatabase(true);
    }

    /** An empty database. */
    public static HonuaDatabase empty() {
        return new HonuaDatabase(false);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        String hint = context.getRequiredTestClass().getSimpleName();
        database = migrated ? TestDatabase.migrated(hint) : TestDatabase.empty(hint);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (database != null) {
            database.close();
            database = null;
        }
    }

    public TestDatabase database() {
        if (database == null) {
            throw new IllegalStateException("HonuaDatabase is used outside of its test class (register it as a static @RegisterExtension field)");
        }
        return database;
    }

    public DataSource dataSource() {
        return database().dataSource();
    }

    public String jdbcUrl() {
        return database().jdbcUrl();
    }

    public String user() {
        return database().user();
    }

    public String password() {
        return database().password();
    }
}
