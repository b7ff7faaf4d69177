package io.honua.db.operations;

/**
 * Size and use of an index ({@link Operations#indexSizes()}); a partitioned index carries the sums over the indexes of
 * its partitions.
 *
 * @param scans           index scans since the statistics were last reset
 * @param backsConstraint the index enforces a primary key, unique or exclusion constraint
 */
public record IndexSize(String schema, String table, String index, boolean partitioned, boolean partition, boolean unique,
                        boolean primary, boolean backsConstraint, long bytes, long scans) {
}
