package io.honua.db.partitions;

import io.honua.db.core.InvalidRequestException;

/** Period of one partition. Bounds are UTC period starts: midnight UTC, or the first of the month 00:00 UTC. */
public enum PartitionInterval {
    DAY("day"),
    MONTH("month");

    private final String dbValue;

    PartitionInterval(String dbValue) {
        this.dbValue = dbValue;
    }

    public String dbValue() {
        return dbValue;
    }

    static PartitionInterval fromDb(String value) {
        for (PartitionInterval i : values()) {
            if (i.dbValue.equals(value)) {
                return i;
            }
        }
        throw new InvalidRequestException("unknown partition interval " + value);
    }
}
