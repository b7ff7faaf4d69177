package io.honua.db.testkit;

import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;

/** Applies the Honua Flyway migrations; used by the build (code generation) and by {@link TestDatabase}. */
final class Migrate {

    private Migrate() {
    }

    static int apply(String url, String user, String password, String... locations) {
        return Flyway.configure()
                .dataSource(url, user, password)
                .locations(locations)
                .failOnMissingLocations(true)
                .callbacks(new Quiet())
                .outputQueryResults(false)
                .load()
                .migrate()
                .migrationsExecuted;
    }

    /**
     * Flyway's own connections (not pooled) run with {@code client_min_messages = warning}: no NOTICE flood from the
     * migrations' {@code DROP ... IF EXISTS}.
     */
    private static final class Quiet implements Callback {
        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.AFTER_CONNECT;
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            try (Statement s = context.getConnection().createStatement()) {
                s.execute("SET client_min_messages = warning");
            } catch (SQLException e) {
                throw new FlywayException("cannot set client_min_messages: " + e.getMessage(), e);
            }
        }

        @Override
        public String getCallbackName() {
            return "honua-quiet";
        }
    }
}
