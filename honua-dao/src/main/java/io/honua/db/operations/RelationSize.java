package io.honua.db.operations;

import java.util.Optional;

/**
 * Size of a table, partition or materialized view ({@link Operations#relationSizes()}). A partitioned table carries the
 * sums over every partition below it; each partition is listed too, with its parent.
 *
 * @param kind       {@code table}, {@code partitioned table}, {@code partition} or {@code materialized view}
 * @param parent     the partitioned table a partition belongs to
 * @param partitions number of (leaf) partitions summed into a partitioned table's sizes, else 0
 * @param tableBytes heap, TOAST, free space and visibility maps ({@code pg_table_size})
 * @param indexBytes all indexes ({@code pg_indexes_size})
 * @param totalBytes both ({@code pg_total_relation_size})
 */
public record RelationSize(String schema, String name, String kind, Optional<String> parent, int partitions,
                           long tableBytes, long indexBytes, long totalBytes) {
}
