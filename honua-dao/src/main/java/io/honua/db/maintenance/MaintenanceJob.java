package io.honua.db.maintenance;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A maintenance job: a SQL function called with integer arguments once per interval.
 *
 * <p>Intervals are aligned to the Unix epoch plus {@code offset}: an interval starts at
 * {@code offset + k * interval}. With interval 1 day and offset 2 h the job is due once a day from 02:00 UTC, as the
 * cron expression {@code 0 2 * * *}; with interval 7 days and offset 3 days 3 h (the epoch was a Thursday) once a week
 * from Sunday 03:00 UTC, as {@code 0 3 * * 0}.
 *
 * @param name     1..100 of {@code a-z 0-9 _ -}; also the pg_cron job name
 * @param cron     the equivalent pg_cron schedule (UTC)
 * @param function name of the SQL function in schema public
 * @param args     its integer arguments
 */
public record MaintenanceJob(String name, String cron, Duration interval, Duration offset, String function, List<Integer> args) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,99}");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public MaintenanceJob {
        Checks.notNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new InvalidRequestException("job name must be 1..100 of a-z 0-9 _ -, got '" + name + "'");
        }
        Checks.text(cron, "cron", 100);
        if (!cron.matches("[0-9A-Za-z*/,\\- ]+") || cron.strip().split("\\s+").length != 5) {
            throw new InvalidRequestException("cron must have 5 fields, got '" + cron + "'");
        }
        Checks.notNull(interval, "interval");
        Checks.notNull(offset, "offset");
        if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new InvalidRequestException("interval must be at least 1 second, got " + interval);
        }
        if (offset.isNegative() || offset.compareTo(interval) >= 0) {
            throw new InvalidRequestException("offset must be 0 <= offset < interval, got " + offset);
        }
        Checks.notNull(function, "function");
        if (!IDENTIFIER.matcher(function).matches()) {
            throw new InvalidRequestException("function must be a lower-case SQL identifier, got '" + function + "'");
        }
        args = List.copyOf(Checks.noNulls(args, "args"));
    }

    /** The seed's six jobs (its pg_cron section), in its order. */
    public static List<MaintenanceJob> defaults() {
        Duration day = Duration.ofDays(1);
        Duration week = Duration.ofDays(7);
        Duration sunday = Duration.ofDays(3); // 1970-01-01 was a Thursday
        return List.of(
                new MaintenanceJob("expire-conversations", "0 */6 * * *", Duration.ofHours(6), Duration.ZERO, "expire_old_conversations", List.of(24)),
                new MaintenanceJob("revoke-credentials", "0 2 * * *", day, Duration.ofHours(2), "revoke_expired_credentials", List.of()),
                new MaintenanceJob("expire-licenses", "0 1 * * *", day, Duration.ofHours(1), "expire_licenses", List.of()),
                new MaintenanceJob("handle-timeouts", "* * * * *", Duration.ofMinutes(1), Duration.ZERO, "handle_build_timeouts", List.of()),
                new MaintenanceJob("cleanup-logs", "0 3 * * 0", week, sunday.plusHours(3), "cleanup_old_build_logs", List.of(90)),
                new MaintenanceJob("purge-deleted", "0 4 * * 0", week, sunday.plusHours(4), "purge_soft_deleted_records", List.of(30)),
                new MaintenanceJob("maintain-partitions", "30 0 * * *", day, Duration.ofMinutes(30), "maintain_partitions", List.of()));
    }

    /** Start of the interval containing {@code now}. */
    public Instant intervalStart(Instant now) {
        long step = interval.toMillis();
        long off = offset.toMillis();
        long k = Math.floorDiv(now.toEpochMilli() - off, step);
        return Instant.ofEpochMilli(off + k * step);
    }

    /** The SQL statement the job runs, e.g. {@code SELECT expire_old_conversations(24);}. */
    public String sqlCommand() {
        return "SELECT " + function + "(" + args.stream().map(String::valueOf).collect(Collectors.joining(", ")) + ");";
    }

    /** The pg_cron statement scheduling this job. */
    public String pgCronStatement() {
        return "SELECT cron.schedule('" + name + "', '" + cron + "', '" + sqlCommand() + "');";
    }
}
