package io.honua.db.testkit;

import org.flywaydb.core.Flyway;

/** Applies the Honua Flyway migrations; used by the build (code generation) and by {@link TestDatabase}. */
final class Migrate {

    private Migrate() {
    }

    static int apply(String url, String user, String password, String... locations) {
        return Flyway.configure()
                .dataSource(url, user, password)
                .locations(locations)
                .failOnMissingLocations(true)
                .load()
                .migrate()
                .migrationsExecuted;
    }
}
