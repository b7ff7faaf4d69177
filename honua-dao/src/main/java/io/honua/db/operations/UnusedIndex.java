package io.honua.db.operations;

/**
 * An index without a scan since the statistics were reset that enforces nothing ({@link Operations#unusedIndexes()}).
 *
 * @param definition its {@code CREATE INDEX} statement
 */
public record UnusedIndex(String schema, String table, String index, long bytes, String definition) {
}
