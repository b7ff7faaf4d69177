package io.honua.db.maintenance;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;

/**
 * Options of a {@link MaintenanceScheduler}.
 *
 * @param instanceId recorded with each run (1..200 characters)
 * @param clock      decides the current interval; all instances should use synchronised clocks
 * @param tick       how often {@link MaintenanceScheduler#start()} checks for due jobs
 * @param jobs       the jobs, unique names
 */
public record MaintenanceOptions(String instanceId, Clock clock, Duration tick, List<MaintenanceJob> jobs) {

    /** A random instance id, the UTC system clock, a 30 s tick and {@link MaintenanceJob#defaults()}. */
    public static MaintenanceOptions defaults() {
        return new MaintenanceOptions("instance-" + UUID.randomUUID(), Clock.systemUTC(), Duration.ofSeconds(30), MaintenanceJob.defaults());
    }

    public MaintenanceOptions {
        Checks.text(instanceId, "instanceId", 200);
        Checks.notNull(clock, "clock");
        Checks.notNull(tick, "tick");
        if (tick.compareTo(Duration.ofMillis(10)) < 0) {
            throw new InvalidRequestException("tick must be at least 10 ms, got " + tick);
        }
        jobs = List.copyOf(Checks.noNulls(jobs, "jobs"));
        if (jobs.stream().map(MaintenanceJob::name).collect(java.util.stream.Collectors.toCollection(HashSet::new)).size() != jobs.size()) {
            throw new InvalidRequestException("job names must be unique");
        }
    }

    public MaintenanceOptions withInstanceId(String instanceId) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs);
    }

    public MaintenanceOptions withClock(Clock clock) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs);
    }

    public MaintenanceOptions withTick(Duration tick) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs);
    }

    public MaintenanceOptions withJobs(List<MaintenanceJob> jobs) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs);
    }

    /** These options with one more job (e.g. partition upkeep). */
    public MaintenanceOptions withJob(MaintenanceJob job) {
        List<MaintenanceJob> all = new ArrayList<>(jobs);
        all.add(Checks.notNull(job, "job"));
        return new MaintenanceOptions(instanceId, clock, tick, all);
    }
}
