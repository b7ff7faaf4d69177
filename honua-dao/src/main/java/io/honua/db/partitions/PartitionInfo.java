package io.honua.db.partitions;

import java.time.Instant;
import java.util.Optional;

/**
 * One partition of a partitioned table.
 *
 * @param name          table name of the partition
 * @param rangeStart    inclusive lower bound; empty for the DEFAULT partition
 * @param rangeEnd      exclusive upper bound; empty for the DEFAULT partition
 * @param isDefault     the DEFAULT partition (catches rows no range partition takes)
 * @param estimatedRows the planner's estimate (pg_class.reltuples, 0 before the first ANALYZE), not an exact count
 */
public record PartitionInfo(String name, Optional<Instant> rangeStart, Optional<Instant> rangeEnd, boolean isDefault,
                            long estimatedRows) {
}
