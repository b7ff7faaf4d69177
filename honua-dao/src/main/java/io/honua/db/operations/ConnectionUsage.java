package io.honua.db.operations;

import java.util.Map;

/**
 * Client connections of the server against its limit ({@link Operations#connectionUsage()}).
 *
 * @param used     client connections open (every database of the server)
 * @param byState  {@code active}, {@code idle}, {@code idle in transaction}, ...; {@code unknown}: sessions of other
 *                 roles whose state the caller may not see (not a member of {@code pg_read_all_stats})
 * @param maximum  {@code max_connections}
 * @param reserved slots reserved for superusers (and, on PostgreSQL 16+, {@code reserved_connections})
 */
public record ConnectionUsage(int used, Map<String, Integer> byState, int maximum, int reserved) {

    public ConnectionUsage {
        byState = Map.copyOf(byState);
    }

    /** Connections ordinary roles may still open: maximum - reserved - used (not below 0). */
    public int available() {
        return Math.max(0, maximum - reserved - used);
    }

    /** used / (maximum - reserved). */
    public double utilisation() {
        int usable = maximum - reserved;
        return usable <= 0 ? 1.0 : (double) used / usable;
    }
}
