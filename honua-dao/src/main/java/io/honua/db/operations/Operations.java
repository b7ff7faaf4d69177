package io.honua.db.operations;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.HONUA_CONNECTION_USAGE;
import static io.honua.db.schema.generated.Tables.HONUA_HEALTH;
import static io.honua.db.schema.generated.Tables.HONUA_INDEX_SIZES;
import static io.honua.db.schema.generated.Tables.HONUA_RELATION_SIZES;
import static io.honua.db.schema.generated.Tables.HONUA_SESSIONS;
import static io.honua.db.schema.generated.Tables.HONUA_TABLE_MAINTENANCE;
import static io.honua.db.schema.generated.Tables.HONUA_UNUSED_INDEXES;
import static io.honua.db.schema.generated.Tables.HONUA_XMIN_HORIZON;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.SqlErrors;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.HonuaHealthRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.jooq.types.YearToSecond;

/**
 * Operations view of the database: readiness ({@link #health()}) and the monitoring queries of the seed's
 * "Monitoring" and "Performance Issues" sections — database and relation sizes, estimated bloat, dead tuples and
 * (auto)vacuum/(auto)analyze times, long-running and idle-in-transaction sessions, the xmin horizon, unused indexes,
 * connection usage. Obtained from {@code HonuaDb.operations()}; thread-safe; every method is one statement.
 *
 * <p><b>Who may call it.</b> {@link #health()} may be called by {@code honua_app} and {@code honua_worker} (the SQL
 * function {@code honua_health()} reads {@code flyway_schema_history}, on which both roles hold SELECT). Everything
 * else is granted to {@code honua_worker} only (and the schema owner). All of it runs with the caller's rights, so
 * what it shows is what PostgreSQL shows that role: sizes and table/index statistics of every table, and the xmin of every session;
 * but the state, query and timings of another role's session only when the caller is a member of that role or of
 * {@code pg_read_all_stats}. Without that membership, other roles' sessions are missing from {@link #sessions} and
 * counted as {@code unknown} by {@link #connectionUsage()}. Grant {@code pg_read_all_stats} to the login role of your
 * operations tooling for the full view.
 *
 * <p>Failures are {@link io.honua.db.core.HonuaException}s; bad arguments are {@link InvalidRequestException}s.
 * {@link #health()} never throws for an unhealthy database: it returns DOWN with the reason.
 */
public final class Operations {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.OPERATIONS);

    /** Default limit of the health statement. */
    public static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(5);

    private final DataSource dataSource;
    private final DSLContext dsl;
    private final Optional<String> expectedSchemaVersion;

    Operations(DataSource dataSource, DSLContext dsl) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.expectedSchemaVersion = ShippedMigrations.latest();
    }

    // ---- readiness ----------------------------------------------------------------------------------------------

    /** {@link #health(Duration)} with {@link #DEFAULT_HEALTH_TIMEOUT}. */
    public Health health() {
        return health(DEFAULT_HEALTH_TIMEOUT);
    }

    /**
     * A readiness check for a service's probe: UP when the database answers, the schema is at least at the newest
     * versioned migration shipped on the class path with no failed migration, and the pool — when the data source is
     * a HikariCP pool — has a free connection. One statement, one round trip ({@code honua_health()}); when the pool
     * is exhausted, no statement at all (the check would only queue behind the work). Never throws for an unhealthy
     * database: connection refused, timeouts, a missing schema and the like come back as DOWN with the reason.
     *
     * Borrowing the connection is bounded by the pool's own timeout (HikariCP's {@code connectionTimeout}, the driver's
     * {@code connectTimeout}), not by {@code timeout}.
     *
     * @param timeout limit of the statement (whole seconds, at least 1)
     */
    public Health health(Duration timeout) {
        Checks.notNull(timeout, "timeout");
        if (timeout.toSeconds() < 1) {
            throw new InvalidRequestException("timeout must be at least 1 second, got " + timeout);
        }
        Instant checkedAt = Instant.now();
        List<String> reasons = new ArrayList<>();
        Optional<PoolState> pool;
        try {
            pool = HikariPools.state(dataSource);
        } catch (RuntimeException e) {
            pool = Optional.empty();
        }
        if (pool.isPresent() && pool.get().exhausted()) {
            PoolState p = pool.get();
            reasons.add("connection pool exhausted: " + p.active() + " of " + p.maximum() + " connections in use, "
                    + p.waiting() + " threads waiting");
            return new Health(Health.Status.DOWN, reasons, Optional.empty(), Optional.empty(), expectedSchemaVersion, 0,
                    Optional.empty(), pool, Optional.empty(), checkedAt);
        }
        HonuaHealthRecord row;
        long start = System.nanoTime();
        Duration roundTrip;
        try {
            row = dsl.selectFrom(HONUA_HEALTH.call()).queryTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toSeconds()))
                    .fetchOne();
            roundTrip = Duration.ofNanos(System.nanoTime() - start);
        } catch (DataAccessException e) {
            reasons.add(io.honua.db.internal.SqlState.UNDEFINED_FUNCTION.is(e)
                    ? "schema not migrated: honua_health() is missing (expected schema version " + expected() + ")"
                    : "database unavailable: " + SqlErrors.serverMessage(e));
            return down(reasons, pool, checkedAt);
        } catch (RuntimeException e) {
            reasons.add("database unavailable: " + e);
            return down(reasons, pool, checkedAt);
        }
        if (row == null) {
            reasons.add("database unavailable: honua_health() returned no row");
            return down(reasons, pool, checkedAt);
        }
        Optional<String> applied = Optional.ofNullable(row.getSchemaVersion());
        int failed = row.getFailedMigrations() == null ? 0 : row.getFailedMigrations();
        if (applied.isEmpty()) {
            reasons.add("no versioned migration applied (expected schema version " + expected() + ")");
        } else if (expectedSchemaVersion.isEmpty()) {
            reasons.add("cannot tell the expected schema version: no db/migration/V*.sql readable on the class path");
        } else if (ShippedMigrations.compare(applied.get(), expectedSchemaVersion.get()) < 0) {
            reasons.add("schema behind: at version " + applied.get() + ", this library needs " + expectedSchemaVersion.get());
        }
        if (failed > 0) {
            reasons.add(failed + " failed migration(s) recorded in flyway_schema_history");
        }
        return new Health(reasons.isEmpty() ? Health.Status.UP : Health.Status.DOWN, reasons,
                Optional.ofNullable(row.getServerVersion()), applied, expectedSchemaVersion, failed,
                Optional.ofNullable(row.getInRecovery()), pool, Optional.of(roundTrip), checkedAt);
    }

    private Health down(List<String> reasons, Optional<PoolState> pool, Instant checkedAt) {
        return new Health(Health.Status.DOWN, reasons, Optional.empty(), Optional.empty(), expectedSchemaVersion, 0,
                Optional.empty(), pool, Optional.empty(), checkedAt);
    }

    /**
     * The newest versioned migration shipped on the class path ({@code db/migration/V*.sql} of honua-schema): the
     * schema version {@link #health()} expects; empty when the class path cannot be listed.
     */
    public Optional<String> expectedSchemaVersion() {
        return expectedSchemaVersion;
    }

    private String expected() {
        return expectedSchemaVersion.orElse("unknown");
    }

    // ---- sizes --------------------------------------------------------------------------------------------------

    /** Size of the current database in bytes ({@code pg_database_size}). */
    public long databaseSize() {
        return call(ERRORS.what("database size"), () -> Routines.honuaDatabaseSize(dsl.configuration()));
    }

    /** Every table, partition and materialized view of the user schemas, largest (total) first. */
    public List<RelationSize> relationSizes() {
        return call(ERRORS.what("relation sizes"), () -> dsl.selectFrom(HONUA_RELATION_SIZES.call()).fetch(r -> new RelationSize(
                r.getSchemaName(), r.getRelationName(), r.getKind(), Optional.ofNullable(r.getParentName()),
                num(r.getPartitions()), num(r.getTableBytes()), num(r.getIndexBytes()), num(r.getTotalBytes()))));
    }

    /** Every index of the user schemas with its size and scan count, largest first. */
    public List<IndexSize> indexSizes() {
        return call(ERRORS.what("index sizes"), () -> dsl.selectFrom(HONUA_INDEX_SIZES.call()).fetch(r -> new IndexSize(
                r.getSchemaName(), r.getTableName(), r.getIndexName(), r.getIsPartitioned(), r.getIsPartition(),
                r.getIsUnique(), r.getIsPrimary(), r.getBacksConstraint(), num(r.getIndexBytes()), num(r.getScans()))));
    }

    /**
     * Indexes never scanned since the statistics were reset that enforce nothing (not unique, not a primary key, no
     * constraint), on tables that are not partitions; largest first. Judge them over a representative period: the
     * counters start again at a statistics reset, and a replica's scans are not counted here.
     */
    public List<UnusedIndex> unusedIndexes() {
        return call(ERRORS.what("unused indexes"), () -> dsl.selectFrom(HONUA_UNUSED_INDEXES.call()).fetch(r -> new UnusedIndex(
                r.getSchemaName(), r.getTableName(), r.getIndexName(), num(r.getIndexBytes()), r.getDefinition())));
    }

    // ---- vacuum and bloat ---------------------------------------------------------------------------------------

    /**
     * The {@code pg_stat_user_tables} review per table (partitions included): live and dead tuples, rows modified
     * since the last analyze, estimated bloat (see {@link TableMaintenance}), last (auto)vacuum and (auto)analyze.
     * Most dead tuples first.
     */
    public List<TableMaintenance> tableMaintenance() {
        return call(ERRORS.what("table maintenance"), () -> dsl.selectFrom(HONUA_TABLE_MAINTENANCE.call()).fetch(r -> new TableMaintenance(
                r.getSchemaName(), r.getTableName(), Optional.ofNullable(r.getParentName()), num(r.getLiveTuples()),
                num(r.getDeadTuples()), num(r.getModifiedSinceAnalyze()), num(r.getTableBytes()),
                num(r.getEstimatedBloatBytes()), Optional.ofNullable(r.getLastVacuum()),
                Optional.ofNullable(r.getLastAutovacuum()), Optional.ofNullable(r.getLastAnalyze()),
                Optional.ofNullable(r.getLastAutoanalyze()), num(r.getVacuumCount()), num(r.getAutovacuumCount()),
                num(r.getAnalyzeCount()), num(r.getAutoanalyzeCount()))));
    }

    // ---- sessions -----------------------------------------------------------------------------------------------

    /**
     * Client sessions of the server (the caller's own excluded) whose transaction has been open for at least
     * {@code minTransactionAge}: long-running statements and idle-in-transaction sessions, oldest first. Only the
     * sessions the caller may inspect (see the class comment).
     */
    public List<Session> sessions(Duration minTransactionAge) {
        Checks.notNull(minTransactionAge, "minTransactionAge");
        if (minTransactionAge.isNegative()) {
            throw new InvalidRequestException("minTransactionAge must not be negative, got " + minTransactionAge);
        }
        return call(ERRORS.what("sessions"), () -> dsl.selectFrom(HONUA_SESSIONS.call(YearToSecond.valueOf(minTransactionAge)))
                .fetch(r -> new Session(num(r.getPid()), Optional.ofNullable(r.getDatabaseName()),
                        Optional.ofNullable(r.getRoleName()), Optional.ofNullable(r.getApplicationName()),
                        Optional.ofNullable(r.getClientAddress()), Objects.requireNonNullElse(r.getState(), "unknown"),
                        Optional.ofNullable(r.getBackendStart()), r.getTransactionStart(),
                        Optional.ofNullable(r.getQueryStart()), Optional.ofNullable(r.getStateChange()),
                        duration(r.getTransactionAge()), duration(r.getStateAge()),
                        Optional.ofNullable(r.getWaitEventType()), Optional.ofNullable(r.getWaitEvent()),
                        Optional.ofNullable(r.getXminAge()), Objects.requireNonNullElse(r.getQuery(), ""))));
    }

    /** Sessions running one statement for at least {@code minAge} (state {@code active}, query started that long ago). */
    public List<Session> longRunningQueries(Duration minAge) {
        return sessions(minAge).stream()
                .filter(s -> s.active() && s.queryStart().map(q -> !q.isAfter(Instant.now().minus(minAge))).orElse(false))
                .toList();
    }

    /** Sessions idle inside an open transaction for at least {@code minIdle} (they hold locks and the xmin horizon). */
    public List<Session> idleInTransaction(Duration minIdle) {
        return sessions(minIdle).stream().filter(s -> s.idleInTransaction() && s.stateAge().compareTo(minIdle) >= 0).toList();
    }

    /** What holds back the xmin horizon: the oldest session snapshot, prepared transaction and replication slot. */
    public XminHorizon xminHorizon() {
        return call(ERRORS.what("xmin horizon"), () -> {
            var r = dsl.selectFrom(HONUA_XMIN_HORIZON.call()).fetchSingle();
            return new XminHorizon(Optional.ofNullable(r.getOldestSessionXminAge()), Optional.ofNullable(r.getOldestSessionPid()),
                    Optional.ofNullable(r.getOldestPreparedXactAge()), Optional.ofNullable(r.getOldestReplicationSlotXminAge()),
                    num(r.getDatabaseFrozenXidAge()));
        });
    }

    /** Client connections of the server by state against {@code max_connections}. */
    public ConnectionUsage connectionUsage() {
        return call(ERRORS.what("connection usage"), () -> {
            var rows = dsl.selectFrom(HONUA_CONNECTION_USAGE.call()).fetch();
            Map<String, Integer> byState = new LinkedHashMap<>();
            int used = 0;
            for (var r : rows) {
                byState.put(r.getState(), r.getConnections());
                used += r.getConnections();
            }
            if (rows.isEmpty()) {   // cannot happen: the caller's own connection is counted
                throw new io.honua.db.core.HonuaException("connection usage: pg_stat_activity shows no client connection");
            }
            return new ConnectionUsage(used, byState, rows.get(0).getMaxConnections(), rows.get(0).getReservedConnections());
        });
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static long num(Long value) {
        return value == null ? 0 : value;
    }

    private static int num(Integer value) {
        return value == null ? 0 : value;
    }

    private static Duration duration(YearToSecond value) {
        return value == null ? Duration.ZERO : value.toDuration();
    }

}
