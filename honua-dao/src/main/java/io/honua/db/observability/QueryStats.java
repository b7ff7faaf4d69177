package io.honua.db.observability;

import java.time.Duration;

/**
 * Counters of a {@link SlowQueryListener} since it was created (monotonic; export them as counters).
 *
 * @param statements     statements executed (each jOOQ execution, including those that failed)
 * @param slowStatements of those, statements that took longer than the threshold
 * @param totalTime      wall time of all statements, from rendering to the last fetched row
 * @param slowTime       wall time of the slow statements
 */
public record QueryStats(long statements, long slowStatements, Duration totalTime, Duration slowTime) {
}
