package io.honua.db.operations;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of {@link Operations#health()}: a readiness verdict and the facts it rests on. {@link Status#UP} when the
 * database answered, the schema is at (or past) the newest versioned migration shipped in the honua-schema jar with no
 * failed migration, and the connection pool (when it is a HikariCP pool) had a free connection; otherwise
 * {@link Status#DOWN} with one reason per failed check in {@link #reasons()} (never empty when DOWN, empty when UP).
 *
 * @param status          UP or DOWN
 * @param reasons         why DOWN, one sentence per failed check; empty when UP
 * @param serverVersion   {@code server_version} of the server, when it answered
 * @param schemaVersion   newest successfully applied versioned migration ({@code flyway_schema_history}), when known
 * @param expectedSchemaVersion newest versioned migration shipped on the class path ({@code db/migration/V*.sql});
 *                        empty when the class path cannot be listed (then DOWN)
 * @param failedMigrations migrations recorded as failed in {@code flyway_schema_history} (0 when unknown)
 * @param standby         the server is a standby in recovery (read-only), when it answered
 * @param pool            the pool's counters when the data source is a HikariCP pool
 * @param roundTrip       time of the health statement including borrowing the connection, when it ran
 * @param checkedAt       when the check started
 */
public record Health(Status status, List<String> reasons, Optional<String> serverVersion, Optional<String> schemaVersion,
                     Optional<String> expectedSchemaVersion, int failedMigrations, Optional<Boolean> standby,
                     Optional<PoolState> pool, Optional<Duration> roundTrip, Instant checkedAt) {

    /** Readiness verdict. */
    public enum Status { UP, DOWN }

    public Health {
        Objects.requireNonNull(status, "status");
        reasons = List.copyOf(reasons);
        Objects.requireNonNull(serverVersion, "serverVersion");
        Objects.requireNonNull(schemaVersion, "schemaVersion");
        Objects.requireNonNull(expectedSchemaVersion, "expectedSchemaVersion");
        Objects.requireNonNull(standby, "standby");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(roundTrip, "roundTrip");
        Objects.requireNonNull(checkedAt, "checkedAt");
    }

    public boolean isUp() {
        return status == Status.UP;
    }
}
