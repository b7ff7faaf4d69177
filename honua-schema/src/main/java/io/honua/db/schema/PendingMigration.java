package io.honua.db.schema;

/**
 * One migration shipped in the jar and not yet applied to the database.
 * {@code version} is the versioned migration's version ({@code "13"}); it is empty for a repeatable migration
 * ({@code R__<capability>.sql}, the current bodies of a capability's SQL functions), which is applied after the
 * versioned ones whenever its content changed.
 */
public record PendingMigration(String version, String description, String script) {
}
