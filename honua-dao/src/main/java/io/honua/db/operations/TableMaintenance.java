package io.honua.db.operations;

import java.time.Instant;
import java.util.Optional;

/**
 * One row of the {@code pg_stat_user_tables} review ({@link Operations#tableMaintenance()}); each partition is a table.
 *
 * <p>{@code estimatedBloatBytes} is an <b>estimate</b>: table size &times; dead / (live + dead) tuples as counted by the
 * statistics system, i.e. the share of the heap that dead row versions occupy. It does not see free space VACUUM
 * already reclaimed but the file still holds, and the tuple counts are estimates themselves: use it as a trend and to
 * find the tables worth a {@code pgstattuple} measurement, not as an exact figure.
 */
public record TableMaintenance(String schema, String table, Optional<String> parent, long liveTuples, long deadTuples,
                               long modifiedSinceAnalyze, long tableBytes, long estimatedBloatBytes,
                               Optional<Instant> lastVacuum, Optional<Instant> lastAutovacuum,
                               Optional<Instant> lastAnalyze, Optional<Instant> lastAutoanalyze,
                               long vacuumCount, long autovacuumCount, long analyzeCount, long autoanalyzeCount) {

    /** Dead tuples / (live + dead), 0 for an empty table. */
    public double deadRatio() {
        long all = liveTuples + deadTuples;
        return all == 0 ? 0 : (double) deadTuples / all;
    }
}
