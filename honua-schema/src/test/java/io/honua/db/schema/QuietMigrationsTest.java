package io.honua.db.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testkit.HonuaDatabase;
import io.honua.db.testkit.TestDatabase;
import java.util.concurrent.CopyOnWriteArrayList;
import org.flywaydb.core.Flyway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Migrating an empty database logs one line per applied migration and none of the server's notices (the migrations'
 * {@code DROP ... IF EXISTS} raise dozens), and the service's pooled connection comes back with its own
 * {@code client_min_messages}.
 */
class QuietMigrationsTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.empty();

    @Test
    void oneLinePerAppliedMigrationAndNoNotices() throws Exception {
        // before: plain Flyway over the same migrations, on another empty database
        List<String> plain;
        try (TestDatabase other = TestDatabase.empty("QuietMigrationsPlain")) {
            plain = captureStderr(() -> Flyway.configure().dataSource(other.dataSource())
                    .locations(HonuaMigrations.LOCATION).load().migrate());
        }
        // after: HonuaMigrations
        RecordingPool pool = new RecordingPool(db.dataSource());
        MigrationReport[] report = new MigrationReport[1];
        List<String> all = captureStderr(() -> report[0] = HonuaMigrations.forDataSource(pool).migrate());
        // A migration owner that is not a superuser (managed PostgreSQL) does not own the functions of pgcrypto and
        // uuid-ossp: V10's GRANT and V13's REVOKE ON ALL FUNCTIONS warn once per such function (SQLSTATE 01007/01006).
        // Those warnings are the server's and stay visible; with a superuser owner there are none.
        boolean superuser;
        try (var c = db.dataSource().getConnection(); var s = c.createStatement();
             var rs = s.executeQuery("select rolsuper from pg_roles where rolname = current_user")) {
            rs.next();
            superuser = rs.getBoolean(1);
        }
        java.util.function.Predicate<String> privilegeWarning = l -> l.contains("SQL State: 01007") || l.contains("SQL State: 01006");
        if (superuser) {
            assertThat(all).noneMatch(privilegeWarning);
        }
        List<String> quiet = all.stream().filter(privilegeWarning.negate()).toList();

        long plainNotices = plain.stream().filter(l -> l.contains("does not exist, skipping")).count();
        System.err.println("migrate on an empty database: plain Flyway " + plain.size() + " log lines (" + plainNotices
                + " notices), HonuaMigrations " + quiet.size() + " log lines, " + report[0].applied().size() + " migrations");
        quiet.forEach(l -> System.err.println("  | " + l));
        assertThat(plainNotices).as("the check sees notices when they are sent").isPositive();
        assertThat(report[0].applied()).hasSizeGreaterThan(10);
        assertThat(quiet).noneMatch(l -> l.contains("does not exist, skipping"));
        assertThat(quiet).noneMatch(l -> l.contains(" DB: "));
        assertThat(quiet.stream().filter(l -> l.contains("Migrating schema"))).hasSize(report[0].applied().size());
        // the rest is Flyway's header (two lines per Flyway command: info, validate, migrate, info) and summary
        assertThat(quiet).noneMatch(l -> l.startsWith("+--") || l.startsWith("| "));
        assertThat(quiet.size() - report[0].applied().size()).isLessThanOrEqualTo(16);
        // every connection went back to the pool with the session's own setting
        assertThat(pool.settingsOnReturn).isNotEmpty().containsOnly("notice");
    }

    private static List<String> captureStderr(Runnable work) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8)); // slf4j-simple writes here
        try {
            work.run();
        } finally {
            System.setErr(stderr);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** Real connections; on close() records the connection's client_min_messages, as a pool would get it back. */
    private static final class RecordingPool implements DataSource {
        final DataSource target;
        final List<String> settingsOnReturn = new CopyOnWriteArrayList<>();

        RecordingPool(DataSource target) {
            this.target = target;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection physical = target.getConnection();
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            try (Statement s = physical.createStatement(); ResultSet rs = s.executeQuery("SHOW client_min_messages")) {
                                rs.next();
                                settingsOnReturn.add(rs.getString(1));
                            }
                            physical.close();
                            return null;
                        }
                        try {
                            return method.invoke(physical, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
