package io.honua.db.partitions;


import io.honua.db.types.DbEnum;

/** Period of one partition. Bounds are UTC period starts: midnight UTC, or the first of the month 00:00 UTC. */
public enum PartitionInterval implements DbEnum {
    DAY,
    MONTH;
}
