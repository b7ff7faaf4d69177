package io.honua.db.schema;

import java.time.Duration;

/** One migration applied by {@link HonuaMigrations#migrate()}, with the time it took. */
public record AppliedMigration(String version, String description, String script, Duration executionTime) {
}
