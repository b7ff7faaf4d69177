package io.honua.db.operations;

/**
 * Counters of a HikariCP pool ({@code HikariPoolMXBean}) read by {@link Operations#health()}.
 *
 * @param active  connections in use
 * @param idle    connections free in the pool
 * @param waiting threads waiting for a connection
 * @param total   connections open
 * @param maximum the pool's maximum size
 */
public record PoolState(int active, int idle, int waiting, int total, int maximum) {

    /** No connection can be had without waiting: every allowed connection is in use, or threads already wait. */
    public boolean exhausted() {
        return waiting > 0 || (idle == 0 && active >= maximum);
    }
}
