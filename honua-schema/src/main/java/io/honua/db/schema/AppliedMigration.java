package io.honua.db.schema;

import java.time.Duration;

/**
 * One migration applied by {@link HonuaMigrations#migrate()}, with the time it took.
 * {@code version} is the versioned migration's version ({@code "13"}); it is empty for a repeatable migration
 * ({@code R__<capability>.sql}, the current bodies of a capability's SQL functions), which is applied after the
 * versioned ones whenever its content changed.
 */
public record AppliedMigration(String version, String description, String script, Duration executionTime) {
}
