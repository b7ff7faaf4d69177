package io.honua.db.schema;

/** A migration shipped in the jar and not yet applied to the database. */
public record PendingMigration(String version, String description, String script) {
}
