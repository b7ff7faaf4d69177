package io.honua.db.cache;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.BUILD_CACHE_REGISTRY;
import static io.honua.db.schema.generated.Tables.CACHE_LOOKUP;
import static io.honua.db.schema.generated.Tables.CACHE_LOOKUP_AND_RECORD;
import static io.honua.db.schema.generated.Tables.CACHE_REGISTER;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Direct;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.NotFoundException;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.BuildCacheRegistryRecord;
import io.honua.db.types.CustomerId;
import io.honua.db.types.Tier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.Result;
import org.jooq.Table;
import org.jooq.types.YearToSecond;

/**
 * The shared build cache: lookup by manifest hash and tier, register (upsert), access recording.
 *
 * <p><b>Tier rule</b> (enforced in SQL, {@code cache_lookup} / {@code cache_register} of migration V7): tiers are
 * ordered {@code FREE < STANDARD < PROFESSIONAL < ENTERPRISE}; a customer may use (look up or register) an entry of tier
 * T when its <em>license tier</em> is T or higher. The license tier is the highest tier among the customer's valid
 * licenses: status active or trial, not past {@code expires_at}, a trial not past {@code trial_ends_at}. A customer
 * without a valid license may use no entry; an unknown or soft-deleted customer is a {@link NotFoundException}. Expired
 * entries are never returned. A lookup the tier does not allow is a miss (empty), not an error; a register it does not
 * allow is a {@link TierNotAllowedException}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>One entry per (manifest hash, tier)</b>, also under concurrent {@link #register} calls
 *       ({@code INSERT ... ON CONFLICT DO UPDATE}); a second register replaces the image details and keeps the creator
 *       and hit statistics.</li>
 *   <li><b>Hit statistics</b>: every logged hit adds one to the entry's {@code hit_count} and advances
 *       {@code last_hit_at}, in the same transaction as its {@code build_access_log} row (a statement trigger, one
 *       aggregated update per entry per insert).</li>
 *   <li><b>Atomic</b>: {@link #lookupAndRecord} looks up and logs in one statement.</li>
 *   <li><b>Batches</b>: {@link #recordBatch} writes a batch once per batch id, however often it is sent.</li>
 *   <li><b>Bad input</b> (null, malformed hash or customer id, unknown customer) raises {@link InvalidRequestException}
 *       or {@link NotFoundException} and changes nothing.</li>
 * </ul>
 * Thread-safe; share one instance.
 */
public final class BuildCache {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.CACHE);

    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    static final int MAX_BATCH = 10_000;

    private final DSLContext dsl;
    /**
     * The hot-path statements, rendered once from the typed DSL (only their bind values change); rendering them
     * per call costs jOOQ ~10 µs, a measurable share of a ~150 µs lookup.
     */
    private final String lookupSql;
    private final String lookupAndRecordSql;
    private final String recordSql;

    BuildCache(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.lookupSql = dsl.render(dsl.selectFrom(CACHE_LOOKUP.call((String) null, null, null)));
        this.lookupAndRecordSql = dsl.render(dsl.selectFrom(CACHE_LOOKUP_AND_RECORD.call((String) null, null, null)));
        this.recordSql = dsl.render(dsl.select(Routines.recordCacheAccess((String) null, null, null, null)));
    }

    // ---- lookup ---------------------------------------------------------------------------------------------------

    /**
     * The entry (manifestHash, tier) when the customer's license tier may use it and it has not expired; empty
     * otherwise. Reads only; records nothing (see {@link #lookupAndRecord}).
     *
     * @throws NotFoundException       unknown or deleted customer
     * @throws InvalidRequestException null or malformed argument
     */
    public Optional<CacheEntry> lookup(String customerId, String manifestHash, Tier tier) {
        return entry(lookupSql, CACHE_LOOKUP, customerId, manifestHash, tier);
    }

    /**
     * {@link #lookup} and, in the same statement and transaction, one {@code build_access_log} row: a hit (counted in
     * the returned entry's hit count) when an entry is returned, else a miss.
     */
    public Optional<CacheEntry> lookupAndRecord(String customerId, String manifestHash, Tier tier) {
        return entry(lookupAndRecordSql, CACHE_LOOKUP_AND_RECORD, customerId, manifestHash, tier);
    }

    /**
     * The entry {@code sql} (a rendered call of {@code function}, taking customer, hash and tier) returns, if any: as
     * plain JDBC when no listener must see the statement ({@link Direct}), else through jOOQ.
     */
    private Optional<CacheEntry> entry(String sql, Table<BuildCacheRegistryRecord> function, String customerId,
                                       String manifestHash, Tier tier) {
        checkAccess(customerId, manifestHash, tier);
        if (Direct.applies(dsl)) {
            return call(ERRORS.customer(customerId), () -> Direct.query(dsl, sql, access(customerId, manifestHash, tier),
                    rs -> rs.next() ? Optional.of(CacheEntry.of(rs)) : Optional.empty()));
        }
        Result<BuildCacheRegistryRecord> r =
                call(ERRORS.customer(customerId), () -> dsl.resultQuery(sql, customerId, manifestHash, tier.dbValue()).coerce(function).fetch());
        return r.isEmpty() ? Optional.empty() : Optional.of(CacheEntry.of(r.get(0)));
    }

    /**
     * The customer's license tier (see the class comment); empty when it has no valid license.
     *
     * @throws NotFoundException unknown or deleted customer
     */
    public Optional<Tier> licenseTier(String customerId) {
        checkCustomer(customerId);
        Integer rank = call(ERRORS.customer(customerId), () -> Routines.customerCacheTierRank(dsl.configuration(), customerId));
        if (rank == null) {
            throw new io.honua.db.core.UnknownCustomerException("unknown customer " + customerId).initCustomerId(customerId);
        }
        return rank == 0 ? Optional.empty() : Optional.of(Tier.values()[rank - 1]);
    }

    /** The entry (manifestHash, tier) regardless of customers and expiry: for operators and statistics. */
    public Optional<CacheEntry> entry(String manifestHash, Tier tier) {
        checkHash(manifestHash);
        Checks.notNull(tier, "tier");
        return call(ERRORS, () -> dsl.selectFrom(BUILD_CACHE_REGISTRY)
                .where(BUILD_CACHE_REGISTRY.MANIFEST_HASH.eq(manifestHash))
                .and(BUILD_CACHE_REGISTRY.TIER.eq(tier.dbValue()))
                .fetchOptional()
                .map(CacheEntry::of));
    }

    // ---- register -------------------------------------------------------------------------------------------------

    /**
     * Registers the image built for (manifest hash, tier), or replaces the image details of the existing entry. One
     * statement, idempotent, safe under concurrent callers: one row per (manifest hash, tier).
     *
     * @throws NotFoundException        unknown or deleted customer
     * @throws TierNotAllowedException  the customer's license tier is below the entry's tier
     */
    public CacheEntry register(NewCacheEntry entry) {
        Checks.notNull(entry, "entry");
        Result<BuildCacheRegistryRecord> r = call(ERRORS, () -> CACHE_REGISTER(dsl.configuration(), entry.customerId(), entry.manifestHash(),
                entry.tier().dbValue(), entry.imageReference(), entry.imageDigest(), entry.imageSizeBytes(), entry.layerCount(),
                (int) entry.buildDuration().toSeconds(), entry.expiresAt().orElse(null)));
        return CacheEntry.of(r.get(0));
    }

    // ---- record ---------------------------------------------------------------------------------------------------

    /** Binds the (customer, manifest hash, tier) every cache function takes first, as parameters 1 to 3. */
    private static Direct.Binder access(String customerId, String manifestHash, Tier tier) {
        return ps -> {
            ps.setString(1, customerId);
            ps.setString(2, manifestHash);
            ps.setString(3, tier.dbValue());
        };
    }

    /**
     * Logs one access now ({@code record_cache_access}): a hit only when {@code hit} and the entry exists; a hit adds
     * to the entry's statistics in the same transaction.
     *
     * @return the id of the {@code build_access_log} row
     * @throws NotFoundException unknown or deleted customer (nothing logged)
     */
    public long record(String customerId, String manifestHash, Tier tier, boolean hit) {
        checkAccess(customerId, manifestHash, tier);
        if (Direct.applies(dsl)) {
            return call(ERRORS.customer(customerId), () -> Direct.query(dsl, recordSql, ps -> {
                access(customerId, manifestHash, tier).bind(ps);
                ps.setBoolean(4, hit);
            }, rs -> {
                rs.next();
                return rs.getLong(1);
            }));
        }
        return call(ERRORS.customer(customerId), () -> dsl.resultQuery(recordSql, customerId, manifestHash, tier.dbValue(), hit).fetchSingle().get(0, Long.class));
    }

    /**
     * Writes a batch of events with one INSERT, in one transaction; events of unknown customers are skipped and their
     * positions returned. Idempotent per {@code batchId}: sending the same batch again (say, after a lost commit
     * acknowledgement) writes nothing and returns the same positions. This is what {@link CacheAccessRecorder} calls.
     *
     * @param events 1..10,000 events
     * @return 0-based positions of the events not written because their customer is unknown or deleted
     */
    public List<Integer> recordBatch(UUID batchId, List<AccessEvent> events) {
        Checks.notNull(batchId, "batchId");
        checkBatch(events);
        return call(ERRORS, () -> writeBatch(dsl, batchId, events));
    }

    static void checkBatch(List<AccessEvent> events) {
        Checks.noNulls(events, "events");
        if (events.isEmpty() || events.size() > MAX_BATCH) {
            throw new InvalidRequestException("a batch holds 1.." + MAX_BATCH + " events, got " + events.size());
        }
    }

    static List<Integer> writeBatch(DSLContext ctx, UUID batchId, List<AccessEvent> events) {
        int n = events.size();
        String[] customers = new String[n];
        String[] hashes = new String[n];
        String[] tiers = new String[n];
        Boolean[] hits = new Boolean[n];
        Long[] at = new Long[n];
        for (int i = 0; i < n; i++) {
            AccessEvent e = events.get(i);
            customers[i] = e.customerId();
            hashes[i] = e.manifestHash();
            tiers[i] = e.tier().dbValue();
            hits[i] = e.hit();
            at[i] = e.accessedAt().toEpochMilli();
        }
        Integer[] rejected = Routines.recordCacheAccesses(ctx.configuration(), batchId, customers, hashes, tiers, hits, at);
        List<Integer> positions = new ArrayList<>(rejected == null ? 0 : rejected.length);
        if (rejected != null) {
            for (Integer p : rejected) {
                positions.add(p - 1);
            }
        }
        return positions;
    }

    /**
     * Starts an asynchronous batching recorder writing through this cache. Close it to flush.
     *
     * @see CacheAccessRecorder
     */
    public CacheAccessRecorder recorder(RecorderOptions options) {
        return new CacheAccessRecorder(dsl, Checks.notNull(options, "options"));
    }

    /** Deletes the batch ledger rows ({@code cache_access_batches}) older than {@code olderThan} (at least 1 minute). */
    public int pruneBatchLedger(Duration olderThan) {
        Checks.notNull(olderThan, "olderThan");
        if (olderThan.toSeconds() < 60) {
            throw new InvalidRequestException("olderThan must be at least 1 minute, got " + olderThan);
        }
        return call(ERRORS, () -> Routines.pruneCacheAccessBatches(dsl.configuration(), YearToSecond.valueOf(olderThan)));
    }

    // ---- checks and errors ----------------------------------------------------------------------------------------

    private static void checkAccess(String customerId, String manifestHash, Tier tier) {
        checkCustomer(customerId);
        checkHash(manifestHash);
        Checks.notNull(tier, "tier");
    }

    static void checkHash(String manifestHash) {
        Checks.notNull(manifestHash, "manifestHash");
        if (!HASH.matcher(manifestHash).matches()) {
            throw new InvalidRequestException("manifestHash must be 64 lower-case hex characters (SHA-256), got '"
                    + (manifestHash.length() > 80 ? manifestHash.substring(0, 80) + "..." : manifestHash) + "'");
        }
    }

    static void checkCustomer(String customerId) {
        CustomerId.check(customerId);
    }

}
