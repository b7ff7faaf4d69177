package io.honua.db.partitions;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.LIST_PARTITIONS;
import static io.honua.db.schema.generated.Tables.MAINTAIN_PARTITIONS;
import static io.honua.db.schema.generated.Tables.PARTITION_POLICIES;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.NotFoundException;
import io.honua.db.schema.generated.tables.records.PartitionPoliciesRecord;
import java.time.Instant;
import java.time.Period;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.types.DayToSecond;
import org.jooq.types.YearToMonth;
import org.jooq.types.YearToSecond;

/**
 * Upkeep of the RANGE-partitioned log tables ({@code build_access_log}, {@code build_events}, {@code build_metrics},
 * {@code conversation_messages}), driven by the {@code partition_policies} table.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Inserts never fail for lack of a partition.</b> Every partitioned table has a DEFAULT partition; rows that
 *       no range partition takes land there, and {@link #maintain()} moves them into their own partition.</li>
 *   <li><b>One statement, atomic, serialised.</b> {@link #maintain()} is one call of the SQL function
 *       {@code maintain_partitions()}: it locks its row of {@code honua_locks}, so concurrent runs (from several
 *       service instances, a scheduler, psql) queue up instead of colliding; a failure rolls the whole run back.</li>
 *   <li><b>Idempotent.</b> A second run right after the first does nothing and returns an empty report.</li>
 *   <li><b>Nothing counted twice.</b> Moving stray rows fires no trigger: rollups ({@code cache_access_daily}) and
 *       counters see each row once.</li>
 *   <li><b>Retention by whole partitions.</b> A partition is dropped (or detached) only when its whole range ended
 *       before {@code now - retention}; the DEFAULT partition is never dropped.</li>
 * </ul>
 * While a table has work to do, the run blocks writers of that table (not readers) until it commits; with nothing to
 * do it takes no lock on the table. Thread-safe.
 */
public final class PartitionMaintenance {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.PARTITIONS);

    private final DSLContext dsl;

    PartitionMaintenance(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
    }

    /** Creates the current and upcoming partitions, moves stray rows out of DEFAULT, applies retention. */
    public MaintenanceReport maintain() {
        return run(DSL.currentInstant());
    }

    /** {@link #maintain()} as if the database clock said {@code asOf} (tests, back-fills). */
    MaintenanceReport maintain(Instant asOf) {
        return run(DSL.val(Checks.notNull(asOf, "asOf")));
    }

    private MaintenanceReport run(Field<Instant> now) {
        var m = MAINTAIN_PARTITIONS.call(now);
        return new MaintenanceReport(call(ERRORS, () -> dsl.selectFrom(m).fetch(r -> new PartitionAction(
                r.getTableName(), kind(r.getAction()), r.getPartitionName(), r.getRangeStart(), r.getRangeEnd(),
                r.getRowsMoved()))));
    }

    private static PartitionAction.Kind kind(String action) {
        return switch (action) {
            case "created" -> PartitionAction.Kind.CREATED;
            case "dropped" -> PartitionAction.Kind.DROPPED;
            case "detached" -> PartitionAction.Kind.DETACHED;
            default -> throw new IllegalStateException("unknown maintenance action " + action);
        };
    }

    /** Every policy, ordered by table name. */
    public List<PartitionPolicy> policies() {
        return call(ERRORS, () -> dsl.selectFrom(PARTITION_POLICIES).orderBy(PARTITION_POLICIES.TABLE_NAME)
                .fetch(PartitionMaintenance::policy));
    }

    public Optional<PartitionPolicy> policy(String tableName) {
        Checks.text(tableName, "tableName", 63);
        return call(ERRORS, () -> dsl.selectFrom(PARTITION_POLICIES).where(PARTITION_POLICIES.TABLE_NAME.eq(tableName))
                .fetchOptional(PartitionMaintenance::policy));
    }

    /**
     * Sets the retention of a table: from the next {@link #maintain()} on, partitions whose whole range ended before
     * {@code now - retention} are dropped or detached.
     *
     * @throws InvalidRequestException retention not positive (negative parts, or zero)
     * @throws NotFoundException       no policy for that table
     */
    public PartitionPolicy setRetention(String tableName, Period retention, RetentionAction action) {
        Checks.notNull(retention, "retention");
        Checks.notNull(action, "action");
        if (retention.isNegative() || retention.isZero()) {
            throw new InvalidRequestException("retention must be positive, got " + retention);
        }
        YearToSecond interval = new YearToSecond(new YearToMonth(retention.getYears(), retention.getMonths()),
                new DayToSecond(retention.getDays()));
        return update(tableName, r -> r.setRetention(interval).setRetentionAction(action.dbValue()));
    }

    /** Removes the retention of a table: its partitions are kept forever. */
    public PartitionPolicy keepForever(String tableName) {
        return update(tableName, r -> r.setRetention(null));
    }

    /** How many periods after the current one maintenance creates ahead of time (0..400). */
    public PartitionPolicy setPremake(String tableName, int premake) {
        Checks.range(premake, 0, 400, "premake");
        return update(tableName, r -> r.setPremake(premake));
    }

    private PartitionPolicy update(String tableName, java.util.function.Consumer<PartitionPoliciesRecord> change) {
        Checks.text(tableName, "tableName", 63);
        PartitionPoliciesRecord values = dsl.newRecord(PARTITION_POLICIES);
        change.accept(values);
        values.changed(PARTITION_POLICIES.TABLE_NAME, false);
        return call(ERRORS, () -> dsl.update(PARTITION_POLICIES).set(values)
                .where(PARTITION_POLICIES.TABLE_NAME.eq(tableName))
                .returning().fetchOptional(PartitionMaintenance::policy))
                .orElseThrow(() -> new NotFoundException("no partition policy for table " + tableName));
    }

    /**
     * The partitions of a partitioned table: range partitions by start, then the DEFAULT partition. Empty when the
     * table does not exist or is not partitioned.
     */
    public List<PartitionInfo> partitions(String tableName) {
        Checks.text(tableName, "tableName", 63);
        return call(ERRORS, () -> dsl.selectFrom(LIST_PARTITIONS.call(tableName)).fetch(r -> new PartitionInfo(
                r.getPartitionName(), Optional.ofNullable(r.getRangeStart()), Optional.ofNullable(r.getRangeEnd()),
                Boolean.TRUE.equals(r.getIsDefault()), r.getEstimatedRows())));
    }

    private static PartitionPolicy policy(PartitionPoliciesRecord r) {
        YearToSecond retention = r.getRetention();
        Optional<Period> period = retention == null ? Optional.empty() : Optional.of(Period.of(
                retention.getYearToMonth().getYears() * (retention.getYearToMonth().getSign()),
                retention.getYearToMonth().getMonths() * (retention.getYearToMonth().getSign()),
                retention.getDayToSecond().getDays() * (retention.getDayToSecond().getSign())));
        return new PartitionPolicy(r.getTableName(),
                r.get(PARTITION_POLICIES.PARTITION_INTERVAL, dbEnum(PartitionInterval.class)), r.getPremake(),
                period, r.get(PARTITION_POLICIES.RETENTION_ACTION, dbEnum(RetentionAction.class)));
    }

}
