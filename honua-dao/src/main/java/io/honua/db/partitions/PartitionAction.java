package io.honua.db.partitions;

import java.time.Instant;

/**
 * One thing a maintenance run did to one partition.
 *
 * @param tableName     the parent table
 * @param kind          created, dropped or detached
 * @param partitionName the partition
 * @param rangeStart    inclusive lower bound (UTC period start)
 * @param rangeEnd      exclusive upper bound
 * @param rowsMoved     for {@link Kind#CREATED}: stray rows moved into it out of the DEFAULT partition; otherwise 0
 */
public record PartitionAction(String tableName, Kind kind, String partitionName, Instant rangeStart, Instant rangeEnd,
                              long rowsMoved) {

    /** What was done. */
    public enum Kind {
        CREATED, DROPPED, DETACHED
    }
}
