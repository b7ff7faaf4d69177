package io.honua.db.maintenance;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one instance did about one job in one {@link MaintenanceScheduler#runDue()} pass.
 *
 * @param affectedRows what the job function returned, when it ran and returned a number
 * @param error        the failure message when the outcome is {@link Outcome#FAILED}
 */
public record JobRun(String job, Instant intervalStart, Outcome outcome, OptionalLong affectedRows, Optional<String> error) {

    public enum Outcome {
        /** This instance ran the job for the interval (and recorded it). */
        RAN,
        /** This instance tried, the job failed; the failure is recorded and the interval is not retried. */
        FAILED,
        /** The interval's run is already recorded (by any instance). */
        ALREADY_DONE,
        /** Another instance is running this job right now. */
        BUSY
    }
}
