package io.honua.db.partitions;

import java.time.Period;
import java.util.Optional;

/**
 * How one RANGE-partitioned table is maintained (a row of {@code partition_policies}).
 *
 * @param tableName the partitioned (parent) table
 * @param interval  period of one partition
 * @param premake   how many periods after the current one are created ahead of time
 * @param retention partitions whose whole range ended before {@code now - retention} are dropped or detached; empty:
 *                  kept forever
 * @param action    drop or detach at retention
 */
public record PartitionPolicy(String tableName, PartitionInterval interval, int premake, Optional<Period> retention,
                              RetentionAction action) {
}
