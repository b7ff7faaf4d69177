package io.honua.db.maintenance;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.HONUA_LOCKS;
import static io.honua.db.schema.generated.Tables.MAINTENANCE_RUNS;

import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.internal.ErrorTranslator;
import io.honua.db.core.HonuaException;
import io.honua.db.internal.SqlErrors;
import io.honua.db.internal.SqlState;
import io.honua.db.internal.Transactions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Runs the maintenance jobs on their intervals, from any number of service instances at once, with exactly one
 * instance running each job per interval.
 *
 * <p>How: for a due job, one transaction locks the job's row of {@code honua_locks} ({@code FOR UPDATE SKIP LOCKED};
 * an instance that does not get it skips: another one is running the job; only the owner and the service role can
 * reach that row, unlike an advisory key, which any role could take to make every instance skip the job), checks {@code maintenance_runs} for the interval (recorded:
 * skip), runs the job function and inserts the {@code (job, interval_start)} row, and commits. The job's effects and
 * its record commit together; the primary key refuses a second record, rolling back a second run should the lock
 * ever be bypassed. When the job function fails, its writes are rolled back to a savepoint taken before it and the
 * failed run is recorded in that same transaction, still under the lock, so the interval is not retried. Only when the
 * pass itself fails outside the job (the lock or the transaction: e.g. the database is unreachable) is the failure
 * recorded in a separate transaction; if even that cannot be written, the interval is tried again at the next pass.
 * Errors the caller does not get back (those of the ticking thread, and a failure that could not be recorded) go to
 * {@link MaintenanceOptions#errorListener()}.
 *
 * <p>Run it with the worker role ({@code honua_worker}): the jobs work across tenants. Thread-safe.
 */
public final class MaintenanceScheduler implements AutoCloseable {

    private final DSLContext dsl;
    private final MaintenanceOptions options;
    private final Map<String, Instant> done = new ConcurrentHashMap<>();
    private ScheduledExecutorService executor;

    MaintenanceScheduler(DSLContext dsl, MaintenanceOptions options) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.options = Checks.notNull(options, "options");
    }

    public MaintenanceOptions options() {
        return options;
    }

    /**
     * One pass: runs every job whose current interval has no recorded run and that no other instance is running.
     *
     * @return what happened to each job, in job order
     */
    public List<JobRun> runDue() {
        Instant now = options.clock().instant();
        List<JobRun> runs = new ArrayList<>(options.jobs().size());
        for (MaintenanceJob job : options.jobs()) {
            runs.add(runIfDue(job, job.intervalStart(now)));
        }
        return runs;
    }

    private static final String LOCK_SCOPE = "maintenance";

    private JobRun runIfDue(MaintenanceJob job, Instant intervalStart) {
        if (intervalStart.equals(done.get(job.name()))) {
            return new JobRun(job.name(), intervalStart, JobRun.Outcome.ALREADY_DONE, OptionalLong.empty(), Optional.empty());
        }
        Instant started = options.clock().instant();
        JobRun run;
        try {
            // the job's lock row, committed on its own (a row inserted by a transaction still running would make a
            // concurrent instance wait for that whole run instead of skipping)
            dsl.insertInto(HONUA_LOCKS, HONUA_LOCKS.SCOPE, HONUA_LOCKS.KEY).values(LOCK_SCOPE, job.name())
                    .onConflictDoNothing().execute();
            run = Transactions.inTransaction(dsl, tx -> {
                boolean locked = tx.select(HONUA_LOCKS.KEY).from(HONUA_LOCKS)
                        .where(HONUA_LOCKS.SCOPE.eq(LOCK_SCOPE).and(HONUA_LOCKS.KEY.eq(job.name())))
                        .forUpdate().skipLocked().fetchOptional().isPresent();
                if (!locked) {
                    return new JobRun(job.name(), intervalStart, JobRun.Outcome.BUSY, OptionalLong.empty(), Optional.empty());
                }
                if (recorded(tx, job, intervalStart)) {
                    return new JobRun(job.name(), intervalStart, JobRun.Outcome.ALREADY_DONE, OptionalLong.empty(), Optional.empty());
                }
                // the job's work runs behind a savepoint: when it fails, its writes are undone and the failure is
                // recorded in this same transaction, still under the job's row lock, so no other instance retries it
                // in this interval
                java.sql.Savepoint savepoint = tx.connectionResult(java.sql.Connection::setSavepoint);
                OptionalLong affected;
                try {
                    affected = call(tx, job);
                } catch (org.jooq.exception.DataAccessException failure) {
                    tx.connection(c -> c.rollback(savepoint));
                    String message = SqlErrors.serverMessage(failure);
                    insertRun(tx, job, intervalStart, started, RunStatus.FAILED, OptionalLong.empty(), Optional.of(message));
                    return new JobRun(job.name(), intervalStart, JobRun.Outcome.FAILED, OptionalLong.empty(), Optional.of(message));
                }
                insertRun(tx, job, intervalStart, started, RunStatus.SUCCEEDED, affected, Optional.empty());
                return new JobRun(job.name(), intervalStart, JobRun.Outcome.RAN, affected, Optional.empty());
            });
        } catch (RuntimeException e) {
            String message = e instanceof org.jooq.exception.DataAccessException d ? SqlErrors.serverMessage(d) : String.valueOf(e.getMessage());
            if (e instanceof org.jooq.exception.DataAccessException d && SqlState.UNIQUE_VIOLATION.is(d)) {
                // another instance recorded this interval first; this run was rolled back
                run = new JobRun(job.name(), intervalStart, JobRun.Outcome.ALREADY_DONE, OptionalLong.empty(), Optional.empty());
            } else {
                recordFailure(job, intervalStart, started, message);
                run = new JobRun(job.name(), intervalStart, JobRun.Outcome.FAILED, OptionalLong.empty(), Optional.of(message));
            }
        }
        if (run.outcome() != JobRun.Outcome.BUSY) {
            done.put(job.name(), intervalStart);
        }
        return run;
    }

    private void insertRun(DSLContext tx, MaintenanceJob job, Instant intervalStart, Instant started, RunStatus status,
                           OptionalLong affected, Optional<String> error) {
        runRow(tx, job, intervalStart, started, status, affected, error).execute();
    }

    /** The maintenance_runs row of one run, ready to insert. */
    private org.jooq.InsertSetMoreStep<?> runRow(DSLContext ctx, MaintenanceJob job, Instant intervalStart, Instant started,
                                                 RunStatus status, OptionalLong affected, Optional<String> error) {
        return ctx.insertInto(MAINTENANCE_RUNS)
                .set(MAINTENANCE_RUNS.JOB, job.name())
                .set(MAINTENANCE_RUNS.INTERVAL_START, intervalStart)
                .set(MAINTENANCE_RUNS.INSTANCE_ID, options.instanceId())
                .set(MAINTENANCE_RUNS.STATUS, status.dbValue())
                .set(MAINTENANCE_RUNS.AFFECTED_ROWS, affected.isPresent() ? affected.getAsLong() : null)
                .set(MAINTENANCE_RUNS.ERROR, error.map(m -> m.length() > 10_000 ? m.substring(0, 10_000) : m).orElse(null))
                .set(MAINTENANCE_RUNS.STARTED_AT, started);
    }

    private static boolean recorded(DSLContext tx, MaintenanceJob job, Instant intervalStart) {
        return tx.fetchExists(MAINTENANCE_RUNS, MAINTENANCE_RUNS.JOB.eq(job.name()).and(MAINTENANCE_RUNS.INTERVAL_START.eq(intervalStart)));
    }

    private static OptionalLong call(DSLContext tx, MaintenanceJob job) {
        Field<?>[] args = job.args().stream().map(DSL::val).toArray(Field[]::new);
        // a job function returns a count (one row) or the rows it acted on (set-returning, e.g. maintain_partitions)
        // schema-qualified like every name the library renders: no other schema on the session's search_path can stand in
        List<String> rows = tx.select(DSL.function(DSL.name("public", job.function()), SQLDataType.CLOB, args)).fetch(0, String.class);
        if (rows.size() == 1 && rows.getFirst() != null && rows.getFirst().matches("-?\\d{1,18}")) {
            return OptionalLong.of(Long.parseLong(rows.getFirst()));
        }
        return rows.size() == 1 && rows.getFirst() == null ? OptionalLong.empty() : OptionalLong.of(rows.size());
    }

    private void recordFailure(MaintenanceJob job, Instant intervalStart, Instant started, String message) {
        try {
            runRow(dsl, job, intervalStart, started, RunStatus.FAILED, OptionalLong.empty(), Optional.of(message))
                    .onConflictDoNothing()
                    .execute();
        } catch (RuntimeException unrecorded) {
            // the database is unreachable: the next pass tries again
            done.remove(job.name());
            report(unrecorded);
        }
    }

    /** Recorded runs of a job, newest interval first, at most {@code limit} (1..1000). */
    public List<RecordedRun> history(String job, int limit) {
        Checks.text(job, "job", 100);
        Checks.range(limit, 1, 1000, "limit");
        return ErrorTranslator.call(Capability.MAINTENANCE, () -> dsl.selectFrom(MAINTENANCE_RUNS).where(MAINTENANCE_RUNS.JOB.eq(job))
                .orderBy(MAINTENANCE_RUNS.INTERVAL_START.desc()).limit(limit)
                .fetch(r -> new RecordedRun(r.getJob(), r.getIntervalStart(), r.getInstanceId(),
                        r.get(MAINTENANCE_RUNS.STATUS, dbEnum(RunStatus.class)) == RunStatus.SUCCEEDED,
                        r.getAffectedRows() == null ? OptionalLong.empty() : OptionalLong.of(r.getAffectedRows()),
                        Optional.ofNullable(r.getError()), r.getStartedAt(), r.getFinishedAt())));
    }

    /** The pg_cron statements equivalent to the jobs, for databases that have pg_cron instead of a scheduler. */
    public List<String> pgCronSchedule() {
        return options.jobs().stream().map(MaintenanceJob::pgCronStatement).toList();
    }

    /** Starts checking every {@link MaintenanceOptions#tick()} on one daemon thread. */
    public synchronized void start() {
        if (executor != null) {
            throw new HonuaException("scheduler already started");
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "honua-maintenance-" + options.instanceId());
            t.setDaemon(true);
            return t;
        });
        long tick = options.tick().toMillis();
        executor.scheduleWithFixedDelay(() -> {
            try {
                for (JobRun run : runDue()) {
                    if (run.outcome() == JobRun.Outcome.FAILED) {
                        report(new HonuaException("maintenance job " + run.job() + " failed for the interval starting "
                                + run.intervalStart() + ": " + run.error().orElse("(no message)")));
                    }
                }
            } catch (RuntimeException e) {
                // a pass that cannot reach the database is retried at the next tick
                report(e);
            }
        }, 0, tick, TimeUnit.MILLISECONDS);
    }

    /** Tells the error listener; a listener that throws must not stop the ticking thread. */
    private void report(Throwable error) {
        try {
            options.errorListener().accept(error);
        } catch (RuntimeException ignored) {
            // documented: what the listener throws is ignored
        }
    }

    /** Stops the ticking thread, waiting up to 30 s for a running job. */
    @Override
    public synchronized void close() {
        if (executor != null) {
            executor.shutdown();
            try {
                executor.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            executor = null;
        }
    }
}
