package io.honua.db.maintenance;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/** One row of {@code maintenance_runs}: which instance ran a job for an interval, and how it went. */
public record RecordedRun(String job, Instant intervalStart, String instanceId, boolean succeeded, OptionalLong affectedRows,
                          Optional<String> error, Instant startedAt, Instant finishedAt) {
}
