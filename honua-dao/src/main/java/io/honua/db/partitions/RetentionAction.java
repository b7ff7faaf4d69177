package io.honua.db.partitions;


import io.honua.db.types.DbEnum;

/**
 * What maintenance does with a partition whose whole range is older than the retention: {@link #DROP} deletes it
 * (the default), {@link #DETACH} detaches it and leaves it as a standalone table of the same name (an archive to dump
 * or move elsewhere; it is no longer visible through the parent table and maintenance never touches it again).
 */
public enum RetentionAction implements DbEnum {
    DROP, DETACH
}
