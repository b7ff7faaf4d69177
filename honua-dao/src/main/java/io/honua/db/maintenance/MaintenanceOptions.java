package io.honua.db.maintenance;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Options of a {@link MaintenanceScheduler}.
 *
 * @param instanceId    recorded with each run (1..200 characters)
 * @param clock         decides the current interval; all instances should use synchronised clocks
 * @param tick          how often {@link MaintenanceScheduler#start()} checks for due jobs
 * @param jobs          the jobs, unique names
 * @param errorListener told of every error the scheduler does not throw to a caller: a failed pass or a failed job
 *                      run of the ticking thread ({@link MaintenanceScheduler#start()}), and a failed run that could
 *                      not be recorded; by default logged at WARNING ({@code System.Logger}
 *                      {@code io.honua.db.maintenance.MaintenanceScheduler}). It must not block; what it throws is
 *                      ignored.
 */
public record MaintenanceOptions(String instanceId, Clock clock, Duration tick, List<MaintenanceJob> jobs,
                                 Consumer<Throwable> errorListener) {

    /** Logs at WARNING, like the build worker's default listener. */
    static final Consumer<Throwable> LOG_ERRORS = e -> System.getLogger(MaintenanceScheduler.class.getName())
            .log(System.Logger.Level.WARNING, "maintenance error", e);

    /** A random instance id, the UTC system clock, a 30 s tick, {@link MaintenanceJob#defaults()} and logged errors. */
    public static MaintenanceOptions defaults() {
        return new MaintenanceOptions("instance-" + UUID.randomUUID(), Clock.systemUTC(), Duration.ofSeconds(30), MaintenanceJob.defaults());
    }

    /** Options whose errors are logged at WARNING. */
    public MaintenanceOptions(String instanceId, Clock clock, Duration tick, List<MaintenanceJob> jobs) {
        this(instanceId, clock, tick, jobs, LOG_ERRORS);
    }

    public MaintenanceOptions {
        Checks.notNull(errorListener, "errorListener");
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
        return new MaintenanceOptions(instanceId, clock, tick, jobs, errorListener);
    }

    public MaintenanceOptions withClock(Clock clock) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs, errorListener);
    }

    public MaintenanceOptions withTick(Duration tick) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs, errorListener);
    }

    public MaintenanceOptions withJobs(List<MaintenanceJob> jobs) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs, errorListener);
    }

    /** These options with {@code listener} told of the errors (see {@link #errorListener()}). */
    public MaintenanceOptions withErrorListener(Consumer<Throwable> listener) {
        return new MaintenanceOptions(instanceId, clock, tick, jobs, listener);
    }

    /** These options with one more job (e.g. partition upkeep). */
    public MaintenanceOptions withJob(MaintenanceJob job) {
        List<MaintenanceJob> all = new ArrayList<>(jobs);
        all.add(Checks.notNull(job, "job"));
        return new MaintenanceOptions(instanceId, clock, tick, all, errorListener);
    }
}
