package io.honua.db.queue;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.BUILD_ARTIFACTS;
import static io.honua.db.schema.generated.Tables.BUILD_DEPENDENCIES;
import static io.honua.db.schema.generated.Tables.BUILD_EVENTS;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static io.honua.db.schema.generated.Tables.CANCEL_BUILD;
import static io.honua.db.schema.generated.Tables.CLAIM_BUILDS;
import static io.honua.db.schema.generated.Tables.COMPLETE_BUILDS;
import static io.honua.db.schema.generated.Tables.COMPLETE_BUILD_WITH_RESULT;
import static io.honua.db.schema.generated.Tables.ENQUEUE_BUILDS;
import static io.honua.db.schema.generated.Tables.FAIL_BUILD;
import static io.honua.db.schema.generated.Tables.FAIL_BUILDS;
import static io.honua.db.schema.generated.Tables.FAIL_BUILDS_WITH_RESULTS;
import static io.honua.db.schema.generated.Tables.BUILD_ATTEMPTS;
import static io.honua.db.schema.generated.Tables.RETRY_BUILD;
import static io.honua.db.schema.generated.Tables.HEARTBEAT_BUILD;
import static io.honua.db.schema.generated.Tables.HEARTBEAT_BUILDS;
import static io.honua.db.schema.generated.Tables.RELEASE_BUILD;
import static io.honua.db.schema.generated.Tables.STUCK_BUILDS;

import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Direct;
import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Capability;
import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.ErrorTranslator;
import io.honua.db.internal.SqlState;
import io.honua.db.internal.SqlErrors;
import io.honua.db.internal.Transactions;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.BuildQueueRecord;
import io.honua.db.types.CustomerId;
import java.sql.Connection;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.DatePart;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.Result;
import org.jooq.Table;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * The build queue: enqueue, claim, heartbeat, progress, complete, fail, cancel, dependencies, introspection.
 *
 * <p>Guarantees, all enforced by the database so they hold across any number of service instances:
 * <ul>
 *   <li><b>No double claim, nothing lost.</b> {@link #claim} is one statement with {@code FOR UPDATE SKIP LOCKED}; a
 *       build is held by at most one worker. A worker that disappears loses its lease, and
 *       {@link #recoverExpiredLeases()} requeues the build (or ends it as TIMEOUT when its attempts are used).</li>
 *   <li><b>Order.</b> Claims are fair between customers (each claim takes customers' best builds round-robin), and
 *       within a customer ordered by effective priority: priority raised by one level per
 *       {@link QueueOptions#agingStep()} waited, so low priorities never starve; ties by enqueue time.</li>
 *   <li><b>Caps.</b> A customer never has more builds running than its license's {@code max_concurrent_builds}
 *       (customers without a license are not capped).</li>
 *   <li><b>Lease holder only.</b> Only the worker holding a build may progress, complete, fail or release it; anyone
 *       else gets {@link LeaseLostException} ({@link BuildCancelledException} when it was cancelled).</li>
 *   <li><b>Idempotent enqueue.</b> With an idempotency key, enqueueing again (also concurrently) returns the existing
 *       build.</li>
 *   <li><b>Events.</b> Every status change appends one {@code build_events} row, numbered 1, 2, 3, … per build.</li>
 *   <li><b>Bad input</b> raises {@link InvalidRequestException} (or a more specific subtype) and changes nothing.</li>
 * </ul>
 * Thread-safe; share one instance.
 */
public final class BuildQueue {

    private static final int MAX_BATCH = 1000;

    private final DSLContext dsl;
    private final QueueOptions options;
    /**
     * The hot-path statements, rendered once from the typed DSL (only their bind values change), as the cache does:
     * rendering a 13-argument table-function call per enqueue costs jOOQ more than a one-build INSERT takes.
     */
    private final String enqueueSql;
    private final String claimSql;
    private final String completeSql;

    BuildQueue(DSLContext dsl, QueueOptions options) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.options = Objects.requireNonNull(options, "options");
        this.enqueueSql = dsl.render(dsl.selectFrom(ENQUEUE_BUILDS.call((String[]) null, (Integer[]) null, (UUID[]) null,
                (String[]) null, (String[]) null, (Long[]) null, (Integer[]) null, (Integer[]) null, (String[]) null,
                (String[]) null, (String[]) null, (Long) null, (Boolean) null, (String[]) null, (String[]) null)));
        this.claimSql = dsl.render(dsl.selectFrom(CLAIM_BUILDS.call((String) null, (Integer) null, (Integer) null)));
        this.completeSql = dsl.render(dsl.selectFrom(COMPLETE_BUILD_WITH_RESULT.call((UUID) null, (String) null, (Integer) null,
                (Long) null, (java.math.BigDecimal) null, (Long) null, (String) null, (String) null, (Long) null, (Integer) null,
                (String) null, (String) null)));
    }

    public QueueOptions options() {
        return options;
    }

    // ---- enqueue --------------------------------------------------------------------------------------------------

    /**
     * Enqueues one build in its own transaction.
     *
     * @throws io.honua.db.licensing.QuotaExceededException  beyond the license's builds per month (nothing inserted)
     * @throws io.honua.db.licensing.InvalidLicenseException the customer's licenses are all expired, revoked or suspended
     */
    public Build enqueue(NewBuild build) {
        return enqueueAll(List.of(Checks.notNull(build, "build"))).getFirst();
    }

    /** Enqueues one build inside the caller's transaction ({@code tx} is bound to it): both commit or neither. */
    public Build enqueue(DSLContext tx, NewBuild build) {
        return enqueueAll(tx, List.of(Checks.notNull(build, "build"))).getFirst();
    }

    /** Enqueues up to 1,000 builds in one statement and one transaction; results in input order. */
    public List<Build> enqueueAll(List<NewBuild> builds) {
        checkBatch(builds);
        // one INSERT is atomic on its own; dependencies add statements that must commit with it
        boolean single = builds.stream().allMatch(b -> b.dependsOn().isEmpty());
        try {
            return call(() -> single ? insert(dsl, builds) : Transactions.inTransaction(dsl, tx -> insert(tx, builds)));
        } catch (HonuaException e) {
            throw e.initCustomerId(commonCustomer(builds));
        }
    }

    /** {@link #enqueueAll(List)} inside the caller's transaction. */
    public List<Build> enqueueAll(DSLContext tx, List<NewBuild> builds) {
        Checks.notNull(tx, "tx");
        checkBatch(builds);
        try {
            return ErrorTranslator.call(ERRORS, null, null, () -> insert(tx, builds));
        } catch (HonuaException e) {
            throw e.initCustomerId(commonCustomer(builds));
        }
    }

    /** The customer of every build of the batch, {@code null} when they are several (a failure names none of them). */
    private static String commonCustomer(List<NewBuild> builds) {
        String customer = builds.getFirst().customerId();
        for (NewBuild b : builds) {
            if (!customer.equals(b.customerId())) {
                return null;
            }
        }
        return customer;
    }

    private static void checkBatch(List<NewBuild> builds) {
        Checks.noNulls(builds, "builds");
        if (builds.isEmpty() || builds.size() > MAX_BATCH) {
            throw new InvalidRequestException("a batch holds 1.." + MAX_BATCH + " builds, got " + builds.size());
        }
    }

    private List<Build> insert(DSLContext tx, List<NewBuild> builds) {
        int n = builds.size();
        String[] customers = new String[n];
        Integer[] priorities = new Integer[n];
        UUID[] manifests = new UUID[n];
        String[] hashes = new String[n];
        String[] keys = new String[n];
        Long[] notBefore = new Long[n];
        Integer[] timeouts = new Integer[n];
        Integer[] attempts = new Integer[n];
        String[] configs = new String[n];
        String[] traces = new String[n];
        String[] correlations = new String[n];
        String[] traceParents = new String[n];
        String[] traceStates = new String[n];
        for (int i = 0; i < n; i++) {
            NewBuild b = builds.get(i);
            customers[i] = b.customerId();
            priorities[i] = b.priority();
            manifests[i] = b.manifestId().orElse(null);
            hashes[i] = b.manifestHash().orElse(null);
            keys[i] = b.idempotencyKey().orElse(null);
            notBefore[i] = b.notBefore().map(Instant::toEpochMilli).orElse(null);
            timeouts[i] = b.timeout().map(t -> (int) t.toSeconds()).orElse(null);
            attempts[i] = b.maxAttempts().orElse(null);
            configs[i] = b.buildConfigJson();
            traces[i] = b.traceId().orElse(null);
            correlations[i] = b.correlationId().orElse(null);
            traceParents[i] = b.traceParent().orElse(null);
            traceStates[i] = b.traceState().orElse(null);
        }
        long agingMs = options.agingStep().toMillis();
        boolean notify = options.notifyWorkers();
        List<Build> inserted = Direct.applies(tx)
                // the parameters are cast to their array types in the statement text; arrays bound as JDBC arrays
                ? Direct.query(tx, enqueueSql, ps -> {
                    Connection c = ps.getConnection();
                    ps.setArray(1, c.createArrayOf("text", customers));
                    ps.setArray(2, c.createArrayOf("int4", priorities));
                    ps.setArray(3, c.createArrayOf("uuid", manifests));
                    ps.setArray(4, c.createArrayOf("text", hashes));
                    ps.setArray(5, c.createArrayOf("text", keys));
                    ps.setArray(6, c.createArrayOf("int8", notBefore));
                    ps.setArray(7, c.createArrayOf("int4", timeouts));
                    ps.setArray(8, c.createArrayOf("int4", attempts));
                    ps.setArray(9, c.createArrayOf("text", configs));
                    ps.setArray(10, c.createArrayOf("text", traces));
                    ps.setArray(11, c.createArrayOf("text", correlations));
                    ps.setLong(12, agingMs);
                    ps.setBoolean(13, notify);
                    ps.setArray(14, c.createArrayOf("text", traceParents));
                    ps.setArray(15, c.createArrayOf("text", traceStates));
                }, Build::readAll)
                : Build.fetch(tx.resultQuery(enqueueSql, customers, priorities, manifests, hashes, keys, notBefore, timeouts,
                        attempts, configs, traces, correlations, agingMs, notify, traceParents, traceStates));

        // Match results to input: keyed rows by key (an existing build when the insert was skipped), others in order.
        Map<List<String>, Build> byKey = new HashMap<>();
        List<Build> unkeyed = new ArrayList<>();
        for (Build r : inserted) {
            if (r.idempotencyKey().isEmpty()) {
                unkeyed.add(r);
            } else {
                byKey.put(List.of(r.customerId(), r.idempotencyKey().get()), r);
            }
        }
        List<List<String>> missing = builds.stream().filter(b -> b.idempotencyKey().isPresent())
                .map(b -> List.of(b.customerId(), b.idempotencyKey().get()))
                .filter(k -> !byKey.containsKey(k)).distinct().toList();
        if (!missing.isEmpty()) {
            var condition = DSL.noCondition();
            for (List<String> k : missing) {
                condition = condition.or(BUILD_QUEUE.CUSTOMER_ID.eq(k.get(0)).and(BUILD_QUEUE.IDEMPOTENCY_KEY.eq(k.get(1))));
            }
            for (Build r : Build.fetch(tx.selectFrom(BUILD_QUEUE).where(condition))) {
                byKey.put(List.of(r.customerId(), r.idempotencyKey().orElseThrow()), r);
            }
        }
        List<Build> result = new ArrayList<>(builds.size());
        java.util.Set<UUID> insertedIds = new java.util.HashSet<>();
        for (Build r : inserted) {
            insertedIds.add(r.id());
        }
        Map<UUID, List<UUID>> dependencies = new LinkedHashMap<>();
        int next = 0;
        for (NewBuild b : builds) {
            Build r = b.idempotencyKey().isPresent()
                    ? byKey.get(List.of(b.customerId(), b.idempotencyKey().get()))
                    : unkeyed.get(next++);
            if (!b.dependsOn().isEmpty() && insertedIds.contains(r.id())) {
                dependencies.computeIfAbsent(r.id(), id -> new ArrayList<>()).addAll(b.dependsOn());
            }
            result.add(r);
        }
        if (!dependencies.isEmpty()) {
            var dep = tx.insertInto(BUILD_DEPENDENCIES, BUILD_DEPENDENCIES.BUILD_ID, BUILD_DEPENDENCIES.DEPENDS_ON_BUILD_ID);
            org.jooq.InsertValuesStep2<?, UUID, UUID> depValues = null;
            for (var e : dependencies.entrySet()) {
                for (UUID on : e.getValue().stream().distinct().toList()) {
                    depValues = (depValues == null ? dep : depValues).values(e.getKey(), on);
                }
            }
            Objects.requireNonNull(depValues).execute();
            // pending_dependencies changed under us: reread
            List<UUID> ids = List.copyOf(dependencies.keySet());
            Map<UUID, Build> fresh = new HashMap<>();
            Build.fetch(tx.selectFrom(BUILD_QUEUE).where(BUILD_QUEUE.ID.in(ids))).forEach(b -> fresh.put(b.id(), b));
            result.replaceAll(b -> fresh.getOrDefault(b.id(), b));
        }
        return result;
    }

    // ---- claim ----------------------------------------------------------------------------------------------------

    /**
     * Claims up to {@code n} claimable builds for {@code workerId}, each with a lease of {@link QueueOptions#lease()}.
     * Atomic: either the builds are this worker's (status BUILDING, attempts incremented) or nothing happened.
     *
     * @param n 0..1000; 0 claims nothing
     * @return the claimed builds, possibly fewer than n, never null
     */
    public List<Build> claim(String workerId, int n) {
        Checks.text(workerId, "workerId", 200);
        Checks.range(n, 0, 1000, "n");
        if (n == 0) {
            return List.of();
        }
        int lease = options.leaseSeconds();
        return call(() -> Direct.applies(dsl)
                ? Direct.query(dsl, claimSql, ps -> {
                    ps.setString(1, workerId);
                    ps.setInt(2, n);
                    ps.setInt(3, lease);
                }, Build::readAll)
                : Build.fetch(dsl.resultQuery(claimSql, workerId, n, lease)));
    }

    // ---- lease holder operations ----------------------------------------------------------------------------------

    /**
     * Extends the lease of a build this worker holds.
     *
     * @return the new lease expiry
     * @throws BuildCancelledException when the build was cancelled: stop working on it
     * @throws LeaseLostException      when this worker does not hold the build any more
     */
    public Instant heartbeat(UUID buildId, String workerId) {
        checkHolder(buildId, workerId);
        return callBuild(buildId, () -> first(HEARTBEAT_BUILD.call(buildId, workerId))).flatMap(Build::leaseExpiresAt)
                .orElseThrow(() -> notHeld(buildId, workerId));
    }

    /**
     * Reports progress (0..100 and the current step) and extends the lease, via {@code update_build_progress}.
     *
     * @throws LeaseLostException / BuildCancelledException as {@link #heartbeat}
     */
    public void updateProgress(UUID buildId, String workerId, int percent, String currentStep) {
        checkHolder(buildId, workerId);
        Checks.range(percent, 0, 100, "percent");
        Checks.text(currentStep, "currentStep", 500);
        Boolean held = callBuild(buildId, () -> Routines.updateBuildProgress(dsl.configuration(), buildId, workerId, percent, currentStep));
        if (!Boolean.TRUE.equals(held)) {
            throw notHeld(buildId, workerId);
        }
    }

    /**
     * Marks the build completed and writes its result and artifacts, all in one transaction.
     *
     * @throws LeaseLostException when this worker does not hold the build (nothing is written)
     */
    public Build complete(UUID buildId, String workerId, Completion completion) {
        checkHolder(buildId, workerId);
        Checks.notNull(completion, "completion");
        // the common case, no artifacts: one statement; with artifacts: that statement and the artifacts in one transaction
        return callBuild(buildId, () -> completion.artifacts().isEmpty()
                ? completeWithResult(dsl, buildId, workerId, completion)
                : Transactions.inTransaction(dsl, tx -> {
                    Build b = completeWithResult(tx, buildId, workerId, completion);
                    var insert = tx.insertInto(BUILD_ARTIFACTS, BUILD_ARTIFACTS.BUILD_ID, BUILD_ARTIFACTS.ARTIFACT_TYPE,
                            BUILD_ARTIFACTS.NAME, BUILD_ARTIFACTS.URI, BUILD_ARTIFACTS.CONTENT_HASH, BUILD_ARTIFACTS.SIZE_BYTES,
                            BUILD_ARTIFACTS.METADATA);
                    org.jooq.InsertValuesStep7<?, UUID, String, String, String, String, Long, JSONB> step = null;
                    for (NewArtifact a : completion.artifacts()) {
                        step = (step == null ? insert : step).values(buildId, a.type().dbValue(), a.name(), a.uri(), a.contentHash(),
                                a.sizeBytes(), JSONB.valueOf(a.metadataJson()));
                    }
                    Objects.requireNonNull(step).onConflictDoNothing().execute();
                    return b;
                }));
    }

    private Build completeWithResult(DSLContext ctx, UUID buildId, String workerId, Completion c) {
        List<Build> done = Direct.applies(ctx)
                ? Direct.query(ctx, completeSql, ps -> {
                    ps.setObject(1, buildId);
                    ps.setString(2, workerId);
                    ps.setObject(3, c.exitCode().orElse(null), Types.INTEGER);
                    ps.setLong(4, c.duration().toMillis());
                    ps.setObject(5, c.cpuSeconds().orElse(null), Types.NUMERIC);
                    ps.setObject(6, c.peakMemoryBytes().orElse(null), Types.BIGINT);
                    ps.setObject(7, c.imageReference().orElse(null), Types.VARCHAR);
                    ps.setObject(8, c.imageDigest().orElse(null), Types.VARCHAR);
                    ps.setObject(9, c.imageSizeBytes().orElse(null), Types.BIGINT);
                    ps.setObject(10, c.layerCount().orElse(null), Types.INTEGER);
                    ps.setObject(11, c.stdoutLog().orElse(null), Types.VARCHAR);
                    ps.setObject(12, c.stderrLog().orElse(null), Types.VARCHAR);
                }, Build::readAll)
                : Build.fetch(ctx.resultQuery(completeSql, buildId, workerId, c.exitCode().orElse(null),
                        c.duration().toMillis(), c.cpuSeconds().orElse(null), c.peakMemoryBytes().orElse(null),
                        c.imageReference().orElse(null), c.imageDigest().orElse(null), c.imageSizeBytes().orElse(null),
                        c.layerCount().orElse(null), c.stdoutLog().orElse(null), c.stderrLog().orElse(null)));
        if (done.isEmpty()) {
            throw notHeld(ctx, buildId, workerId);
        }
        return done.getFirst();
    }

    /**
     * Completes many builds this worker holds in one statement ({@code complete_builds}: status, result rows, events,
     * dependency releases and at most one NOTIFY, whatever the batch size); artifacts, when any, in one more statement
     * of the same transaction. Builds the worker does not hold (any more) are left unchanged and reported in
     * {@link BatchResult#notHeld()}; the others complete together or not at all.
     *
     * @param completions 1..1000 builds and their completions
     */
    public BatchResult completeAll(String workerId, Map<UUID, Completion> completions) {
        Checks.text(workerId, "workerId", 200);
        checkIds(completions == null ? null : completions.keySet(), "completions");
        completions.values().forEach(c -> Checks.notNull(c, "completion"));
        int n = completions.size();
        UUID[] ids = new UUID[n];
        Integer[] exitCodes = new Integer[n];
        Long[] durations = new Long[n];
        java.math.BigDecimal[] cpu = new java.math.BigDecimal[n];
        Long[] memory = new Long[n];
        String[] refs = new String[n];
        String[] digests = new String[n];
        Long[] sizes = new Long[n];
        Integer[] layers = new Integer[n];
        String[] stdout = new String[n];
        String[] stderr = new String[n];
        boolean artifacts = false;
        int i = 0;
        for (Map.Entry<UUID, Completion> e : completions.entrySet()) {
            Completion c = e.getValue();
            ids[i] = e.getKey();
            exitCodes[i] = c.exitCode().orElse(null);
            durations[i] = c.duration().toMillis();
            cpu[i] = c.cpuSeconds().orElse(null);
            memory[i] = c.peakMemoryBytes().orElse(null);
            refs[i] = c.imageReference().orElse(null);
            digests[i] = c.imageDigest().orElse(null);
            sizes[i] = c.imageSizeBytes().orElse(null);
            layers[i] = c.layerCount().orElse(null);
            stdout[i] = c.stdoutLog().orElse(null);
            stderr[i] = c.stderrLog().orElse(null);
            artifacts |= !c.artifacts().isEmpty();
            i++;
        }
        Function<DSLContext, List<Build>> complete = ctx -> Build.fetch(ctx.selectFrom(COMPLETE_BUILDS.call(workerId, ids,
                exitCodes, durations, cpu, memory, refs, digests, sizes, layers, stdout, stderr)));
        boolean withArtifacts = artifacts;
        List<Build> done = call(() -> !withArtifacts ? complete.apply(dsl) : Transactions.inTransaction(dsl, tx -> {
            List<Build> rows = complete.apply(tx);
            var insert = tx.insertInto(BUILD_ARTIFACTS, BUILD_ARTIFACTS.BUILD_ID, BUILD_ARTIFACTS.ARTIFACT_TYPE,
                    BUILD_ARTIFACTS.NAME, BUILD_ARTIFACTS.URI, BUILD_ARTIFACTS.CONTENT_HASH, BUILD_ARTIFACTS.SIZE_BYTES,
                    BUILD_ARTIFACTS.METADATA);
            org.jooq.InsertValuesStep7<?, UUID, String, String, String, String, Long, JSONB> step = null;
            for (Build r : rows) {
                for (NewArtifact a : completions.get(r.id()).artifacts()) {
                    step = (step == null ? insert : step).values(r.id(), a.type().dbValue(), a.name(), a.uri(),
                            a.contentHash(), a.sizeBytes(), JSONB.valueOf(a.metadataJson()));
                }
            }
            if (step != null) {
                step.onConflictDoNothing().execute();
            }
            return rows;
        }));
        return batchResult(completions.keySet(), done);
    }

    /**
     * Reports many failed attempts of builds this worker holds in one statement ({@code fail_builds}); each is
     * requeued with exponential backoff while attempts remain (returned as QUEUED), else ends FAILED. Builds the
     * worker does not hold are left unchanged and reported in {@link BatchResult#notHeld()}.
     *
     * @param errors 1..1000 builds and their error messages (1..10,000 characters)
     */
    public BatchResult failAll(String workerId, Map<UUID, String> errors) {
        Checks.text(workerId, "workerId", 200);
        checkIds(errors == null ? null : errors.keySet(), "errors");
        UUID[] ids = new UUID[errors.size()];
        String[] messages = new String[errors.size()];
        int i = 0;
        for (Map.Entry<UUID, String> e : errors.entrySet()) {
            ids[i] = e.getKey();
            messages[i] = Checks.text(e.getValue(), "error", 10_000);
            i++;
        }
        List<Build> done = call(() -> Build.fetch(dsl.selectFrom(FAIL_BUILDS.call(workerId, ids, messages,
                (int) options.backoffBase().toSeconds(), (int) options.backoffMax().toSeconds()))));
        return batchResult(errors.keySet(), done);
    }

    /**
     * Extends the leases of all the given builds this worker holds, in one statement ({@code heartbeat_builds}).
     * Unlike {@link #heartbeat}, builds not held are reported, not thrown: cancelled ones (stop working on them) and
     * lost ones (lease expired and taken over, finished, or unknown).
     *
     * @param buildIds 0..10,000 builds; none: nothing is sent
     */
    public HeartbeatResult heartbeatAll(String workerId, java.util.Collection<UUID> buildIds) {
        Checks.text(workerId, "workerId", 200);
        Checks.noNulls(buildIds, "buildIds");
        if (buildIds.size() > 10_000) {
            throw new InvalidRequestException("a heartbeat covers at most 10000 builds, got " + buildIds.size());
        }
        if (buildIds.isEmpty()) {
            return new HeartbeatResult(Map.of(), java.util.Set.of(), java.util.Set.of());
        }
        UUID[] ids = buildIds.toArray(UUID[]::new);
        Map<UUID, Instant> extended = new HashMap<>();
        java.util.Set<UUID> cancelled = new java.util.HashSet<>();
        java.util.Set<UUID> lost = new java.util.HashSet<>();
        for (var r : call(() -> HEARTBEAT_BUILDS(dsl.configuration(), workerId, ids))) {
            switch (r.getState()) {
                case "held" -> extended.put(r.getBuildId(), r.getLeaseExpiresAt());
                case "cancelled" -> cancelled.add(r.getBuildId());
                default -> lost.add(r.getBuildId());
            }
        }
        return new HeartbeatResult(extended, cancelled, lost);
    }

    private static void checkIds(java.util.Set<UUID> ids, String name) {
        Checks.noNulls(ids, name);
        if (ids.isEmpty() || ids.size() > MAX_BATCH) {
            throw new InvalidRequestException(name + ": a batch holds 1.." + MAX_BATCH + " builds, got " + ids.size());
        }
    }

    private static BatchResult batchResult(java.util.Set<UUID> requested, List<Build> done) {
        java.util.Set<UUID> changed = new java.util.HashSet<>();
        for (Build b : done) {
            changed.add(b.id());
        }
        List<UUID> notHeld = requested.stream().filter(id -> !changed.contains(id)).toList();
        return new BatchResult(List.copyOf(done), notHeld);
    }

    /**
     * Reports a failed attempt. While attempts remain the build is requeued, claimable after an exponential backoff
     * ({@link QueueOptions#backoffBase()} × 2^(attempt-1), at most {@link QueueOptions#backoffMax()}); otherwise it
     * ends as FAILED.
     */
    public FailureOutcome fail(UUID buildId, String workerId, String error) {
        checkHolder(buildId, workerId);
        Checks.text(error, "error", 10_000);
        Build b = callBuild(buildId, () -> first(FAIL_BUILD.call(buildId, workerId, error, (int) options.backoffBase().toSeconds(),
                (int) options.backoffMax().toSeconds(), (String) null, (String) null)))
                .orElseThrow(() -> notHeld(buildId, workerId));
        return new FailureOutcome(b, b.status() == BuildStatus.QUEUED);
    }

    /**
     * Reports a failed attempt with its failure record: like {@link #fail(UUID, String, String)}, and the attempt's
     * exit code, duration, resources, error and logs are kept in {@code build_attempts} (see {@link #attempts}), its
     * artifacts (e.g. a test report) in {@code build_artifacts}, all in one transaction.
     *
     * @throws LeaseLostException when this worker does not hold the build (nothing is written)
     */
    public FailureOutcome fail(UUID buildId, String workerId, Failure failure) {
        checkHolder(buildId, workerId);
        Checks.notNull(failure, "failure");
        Function<DSLContext, Build> run = ctx -> {
            List<Build> done = failWithResults(ctx, workerId, Map.of(buildId, failure));
            if (done.isEmpty()) {
                throw notHeld(ctx, buildId, workerId);
            }
            insertArtifacts(ctx, buildId, failure.artifacts());
            return done.getFirst();
        };
        Build b = callBuild(buildId, () -> failure.artifacts().isEmpty() ? run.apply(dsl) : Transactions.inTransaction(dsl, run::apply));
        return new FailureOutcome(b, b.status() == BuildStatus.QUEUED);
    }

    /**
     * {@link #failAll} with a failure record per build: one statement ({@code fail_builds_with_results}) requeues or
     * fails them and writes their attempts; artifacts, when any, in one more statement of the same transaction.
     *
     * @param failures 1..1000 builds and their failure records
     */
    public BatchResult failAllWithResults(String workerId, Map<UUID, Failure> failures) {
        Checks.text(workerId, "workerId", 200);
        checkIds(failures == null ? null : failures.keySet(), "failures");
        failures.values().forEach(f -> Checks.notNull(f, "failure"));
        boolean anyArtifacts = failures.values().stream().anyMatch(f -> !f.artifacts().isEmpty());
        List<Build> done = call(() -> !anyArtifacts ? failWithResults(dsl, workerId, failures)
                : Transactions.inTransaction(dsl, tx -> {
                    List<Build> r = failWithResults(tx, workerId, failures);
                    for (Build b : r) {
                        insertArtifacts(tx, b.id(), failures.get(b.id()).artifacts());
                    }
                    return r;
                }));
        return batchResult(failures.keySet(), done);
    }

    private List<Build> failWithResults(DSLContext ctx, String workerId, Map<UUID, Failure> failures) {
        int n = failures.size();
        UUID[] ids = new UUID[n];
        String[] errors = new String[n];
        Integer[] exitCodes = new Integer[n];
        Long[] durations = new Long[n];
        java.math.BigDecimal[] cpu = new java.math.BigDecimal[n];
        Long[] memory = new Long[n];
        String[] stdout = new String[n];
        String[] stderr = new String[n];
        int i = 0;
        for (Map.Entry<UUID, Failure> e : failures.entrySet()) {
            Failure f = e.getValue();
            ids[i] = e.getKey();
            errors[i] = f.error();
            exitCodes[i] = f.exitCode().orElse(null);
            durations[i] = f.duration().map(Duration::toMillis).orElse(null);
            cpu[i] = f.cpuSeconds().orElse(null);
            memory[i] = f.peakMemoryBytes().orElse(null);
            stdout[i] = f.stdoutLog().orElse(null);
            stderr[i] = f.stderrLog().orElse(null);
            i++;
        }
        return Build.fetch(ctx.selectFrom(FAIL_BUILDS_WITH_RESULTS.call(workerId, ids, errors, exitCodes, durations, cpu, memory,
                stdout, stderr, (int) options.backoffBase().toSeconds(), (int) options.backoffMax().toSeconds())));
    }

    private static void insertArtifacts(DSLContext ctx, UUID buildId, List<NewArtifact> artifacts) {
        if (artifacts.isEmpty()) {
            return;
        }
        var insert = ctx.insertInto(BUILD_ARTIFACTS, BUILD_ARTIFACTS.BUILD_ID, BUILD_ARTIFACTS.ARTIFACT_TYPE,
                BUILD_ARTIFACTS.NAME, BUILD_ARTIFACTS.URI, BUILD_ARTIFACTS.CONTENT_HASH, BUILD_ARTIFACTS.SIZE_BYTES,
                BUILD_ARTIFACTS.METADATA);
        org.jooq.InsertValuesStep7<?, UUID, String, String, String, String, Long, JSONB> step = null;
        for (NewArtifact a : artifacts) {
            step = (step == null ? insert : step).values(buildId, a.type().dbValue(), a.name(), a.uri(), a.contentHash(),
                    a.sizeBytes(), JSONB.valueOf(a.metadataJson()));
        }
        Objects.requireNonNull(step).onConflictDoNothing().execute();
    }

    /**
     * Gives back a build this worker claimed but will not run (e.g. on shutdown): requeued at once, the attempt
     * not counted.
     */
    public Build release(UUID buildId, String workerId) {
        checkHolder(buildId, workerId);
        return callBuild(buildId, () -> first(RELEASE_BUILD.call(buildId, workerId))).orElseThrow(() -> notHeld(buildId, workerId));
    }

    /**
     * Cancels a queued or running build. The worker of a running build gets {@link BuildCancelledException} at its
     * next heartbeat or progress report.
     *
     * @throws UnknownBuildException when no such build exists
     * @throws ConflictException     when the build already finished
     */
    public Build cancel(UUID buildId, String reason) {
        Checks.notNull(buildId, "buildId");
        Checks.text(reason, "reason", 2000);
        return callBuild(buildId, () -> first(CANCEL_BUILD.call(buildId, reason))).orElseThrow(() -> {
            Build b = find(buildId).orElseThrow(() -> new UnknownBuildException("no build " + buildId).initBuildId(buildId));
            return new ConflictException("build " + buildId + " is already " + b.status() + " and cannot be cancelled")
                    .initBuildId(buildId);
        });
    }

    /**
     * Requeues a FAILED, TIMEOUT or CANCELLED build at once with one more attempt ({@code retry_failed_build});
     * false when there is no such build in one of those states. Same as {@code retry(buildId, RetryOptions.defaults())}
     * except that the build keeps its place (claim rank).
     */
    public boolean retry(UUID buildId) {
        Checks.notNull(buildId, "buildId");
        return Boolean.TRUE.equals(callBuild(buildId, () -> Routines.retryFailedBuild(dsl.configuration(), buildId)));
    }

    /**
     * Requeues a FAILED, TIMEOUT or CANCELLED build ({@code retry_build}): it gets at least
     * {@link RetryOptions#extraAttempts()} more attempts, its priority if given, and is claimable after the delay,
     * ranked like a build enqueued then. Its attempts, results and events stay; a {@code retried} event is added.
     *
     * @return the requeued build; empty when there is no such build in a retryable state (or it is not visible)
     */
    public Optional<Build> retry(UUID buildId, RetryOptions retry) {
        Checks.notNull(buildId, "buildId");
        Checks.notNull(retry, "retry");
        return callBuild(buildId, () -> first(RETRY_BUILD.call(buildId, retry.extraAttempts(), retry.priority().orElse(null),
                retry.delay().toMillis(), options.agingStep().toMillis())));
    }

    /**
     * Requeues running builds whose lease expired or whose timeout passed, or ends them as TIMEOUT when their attempts
     * are used ({@code handle_build_timeouts}). Safe to run from many instances at once.
     *
     * @return number of builds handled
     */
    public int recoverExpiredLeases() {
        Integer n = call(() -> Routines.handleBuildTimeouts(dsl.configuration()));
        return n == null ? 0 : n;
    }

    // ---- fair share -----------------------------------------------------------------------------------------------

    /**
     * Sets a customer's fair-share weight (1..1000): while backlogged, customers get claims in proportion to their
     * weights. Without an override the weight follows the highest tier of the customer's valid licenses (free 1,
     * standard 2, professional 4, enterprise 8; no valid license 1). Administrative: the database role needs EXECUTE on
     * {@code set_fair_share_weight} ({@code honua_admin}).
     *
     * @throws UnknownCustomerException when no such customer exists
     */
    public void setFairShareWeight(String customerId, int weight) {
        CustomerId.check(customerId);
        Checks.range(weight, 1, 1000, "weight");
        callCustomer(customerId, () -> { Routines.setFairShareWeight(dsl.configuration(), customerId, weight); return null; });
    }

    /** Removes a customer's weight override: its weight follows its license tier again. */
    public void clearFairShareWeight(String customerId) {
        CustomerId.check(customerId);
        callCustomer(customerId, () -> { Routines.setFairShareWeight(dsl.configuration(), customerId, null); return null; });
    }

    /** A customer's effective fair-share weight (override, else by license tier, else 1). */
    public int fairShareWeight(String customerId) {
        CustomerId.check(customerId);
        Integer w = callCustomer(customerId, () -> Routines.fairShareWeight(dsl.configuration(), customerId));
        return w == null ? 1 : w;
    }

    // ---- dependencies ---------------------------------------------------------------------------------------------

    /**
     * Makes queued build {@code buildId} wait for {@code dependsOn} to complete.
     *
     * @throws DependencyCycleException when {@code dependsOn} already depends on {@code buildId} (or they are equal)
     * @throws UnknownBuildException    when either build does not exist
     * @throws ConflictException        when {@code buildId} is no longer queued
     */
    public void addDependency(UUID buildId, UUID dependsOn) {
        Checks.notNull(buildId, "buildId");
        Checks.notNull(dependsOn, "dependsOn");
        if (buildId.equals(dependsOn)) {
            throw new DependencyCycleException("a build cannot depend on itself: " + buildId).initBuildId(buildId);
        }
        try {
            call(() -> dsl.insertInto(BUILD_DEPENDENCIES, BUILD_DEPENDENCIES.BUILD_ID, BUILD_DEPENDENCIES.DEPENDS_ON_BUILD_ID)
                    .values(buildId, dependsOn).onConflictDoNothing().execute());
        } catch (UnknownBuildException e) {
            // either build may be the unknown one: the exception names neither
            throw e;
        } catch (HonuaException e) {
            throw e.initBuildId(buildId);
        }
    }

    /** Builds {@code buildId} waits for. */
    public List<UUID> dependenciesOf(UUID buildId) {
        Checks.notNull(buildId, "buildId");
        return callBuild(buildId, () -> dsl.select(BUILD_DEPENDENCIES.DEPENDS_ON_BUILD_ID).from(BUILD_DEPENDENCIES)
                .where(BUILD_DEPENDENCIES.BUILD_ID.eq(buildId)).orderBy(BUILD_DEPENDENCIES.DEPENDS_ON_BUILD_ID)
                .fetch(BUILD_DEPENDENCIES.DEPENDS_ON_BUILD_ID));
    }

    // ---- reading --------------------------------------------------------------------------------------------------

    public Optional<Build> find(UUID buildId) {
        Checks.notNull(buildId, "buildId");
        return callBuild(buildId, () -> Build.fetch(dsl.selectFrom(BUILD_QUEUE).where(BUILD_QUEUE.ID.eq(buildId))).stream().findFirst());
    }

    /** The result of a completed build ({@code build_results}); empty when it has none (not completed, or unknown). */
    public Optional<BuildResult> result(UUID buildId) {
        Checks.notNull(buildId, "buildId");
        return callBuild(buildId, () -> dsl.selectFrom(BUILD_RESULTS).where(BUILD_RESULTS.BUILD_ID.eq(buildId)).fetchOptional()
                .map(r -> new BuildResult(r.getBuildId(), r.getSuccess(), Optional.ofNullable(r.getExitCode()),
                        Duration.ofMillis(r.getDurationMs()), Optional.ofNullable(r.getCpuSeconds()),
                        Optional.ofNullable(r.getPeakMemoryBytes()), Optional.ofNullable(r.getImageReference()),
                        Optional.ofNullable(r.getImageDigest()), Optional.ofNullable(r.getImageSizeBytes()),
                        Optional.ofNullable(r.getLayerCount()), Optional.ofNullable(r.getStdoutLog()),
                        Optional.ofNullable(r.getStderrLog()), r.getCreatedAt())));
    }

    /**
     * A build's ended attempts in the order they ended (oldest first), a page of at most {@code limit} (1..1000) from
     * {@code offset}; empty list when none.
     */
    public List<BuildAttempt> attempts(UUID buildId, int offset, int limit) {
        Checks.notNull(buildId, "buildId");
        checkPage(offset, limit);
        return callBuild(buildId, () -> dsl.selectFrom(BUILD_ATTEMPTS).where(BUILD_ATTEMPTS.BUILD_ID.eq(buildId))
                .orderBy(BUILD_ATTEMPTS.ID).offset(offset).limit(limit)
                .fetch(r -> new BuildAttempt(r.getBuildId(), r.getAttempt(), Optional.ofNullable(r.getWorkerId()),
                        r.getStartedAt(), r.getEndedAt(), r.get(BUILD_ATTEMPTS.OUTCOME, dbEnum(AttemptOutcome.class)),
                        Optional.ofNullable(r.getExitCode()), Optional.ofNullable(r.getDurationMs()).map(Duration::ofMillis),
                        Optional.ofNullable(r.getCpuSeconds()), Optional.ofNullable(r.getPeakMemoryBytes()),
                        Optional.ofNullable(r.getError()), Optional.ofNullable(r.getStdoutLog()),
                        Optional.ofNullable(r.getStderrLog()))));
    }

    /** A build's artifacts in the order they were stored, a page of at most {@code limit} (1..1000) from {@code offset}. */
    public List<BuildArtifact> artifacts(UUID buildId, int offset, int limit) {
        Checks.notNull(buildId, "buildId");
        checkPage(offset, limit);
        return callBuild(buildId, () -> dsl.selectFrom(BUILD_ARTIFACTS).where(BUILD_ARTIFACTS.BUILD_ID.eq(buildId))
                .orderBy(BUILD_ARTIFACTS.CREATED_AT, BUILD_ARTIFACTS.ID).offset(offset).limit(limit)
                .fetch(r -> new BuildArtifact(r.getId(), r.getBuildId(),
                        r.get(BUILD_ARTIFACTS.ARTIFACT_TYPE, dbEnum(ArtifactType.class)), r.getName(), r.getUri(),
                        r.getContentHash(), r.getSizeBytes(), Optional.ofNullable(r.getMediaType()),
                        r.getMetadata() == null ? "{}" : r.getMetadata().data(), r.getCreatedAt())));
    }

    private static void checkPage(int offset, int limit) {
        if (offset < 0) {
            throw new InvalidRequestException("offset must not be negative, got " + offset);
        }
        if (limit < 1 || limit > 1000) {
            throw new InvalidRequestException("limit must be 1..1000, got " + limit);
        }
    }

    /** A build's events in sequence order. */
    public List<BuildEvent> events(UUID buildId) {
        Checks.notNull(buildId, "buildId");
        return callBuild(buildId, () -> dsl.selectFrom(BUILD_EVENTS).where(BUILD_EVENTS.BUILD_ID.eq(buildId)).orderBy(BUILD_EVENTS.SEQ)
                .fetch(r -> new BuildEvent(r.getBuildId(), r.getSeq(), r.getEventType(),
                        r.getEventData() == null ? "{}" : r.getEventData().data(), r.getEventTimestamp(),
                        Optional.ofNullable(r.getTraceId()), Optional.ofNullable(r.getCorrelationId()))));
    }

    // ---- introspection (the seed's monitoring queries) -------------------------------------------------------------

    /** Number of builds per status (a full count: on very large histories prefer {@link #queuedCount()}). */
    public Map<BuildStatus, Long> depthByStatus() {
        Map<BuildStatus, Long> depth = new EnumMap<>(BuildStatus.class);
        for (BuildStatus s : BuildStatus.values()) {
            depth.put(s, 0L);
        }
        call(() -> dsl.select(BUILD_QUEUE.STATUS, DSL.count()).from(BUILD_QUEUE).groupBy(BUILD_QUEUE.STATUS).fetch())
                .forEach(r -> depth.put(r.get(BUILD_QUEUE.STATUS, dbEnum(BuildStatus.class)), (long) r.value2()));
        return depth;
    }

    /** {@code SELECT COUNT(*) FROM build_queue WHERE status = 'queued'}. */
    public long queuedCount() {
        return call(() -> dsl.fetchCount(BUILD_QUEUE, BUILD_QUEUE.STATUS.eq(BuildStatus.QUEUED.dbValue())));
    }

    /** Queued, claimable-now and running builds per customer that has any, ordered by customer id. */
    public List<CustomerDepth> depthByCustomer() {
        // status constants inlined so the partial indexes on queued/building rows serve generic plans too, and
        // current_timestamp as is (DSL.currentInstant() renders casts PostgreSQL evaluates per row)
        Field<String> queuedStatus = DSL.inline("queued");
        Field<String> buildingStatus = DSL.inline("building");
        Field<Instant> now = DSL.currentOffsetDateTime().coerce(org.jooq.impl.SQLDataType.INSTANT);
        Field<Integer> queued = DSL.count().filterWhere(BUILD_QUEUE.STATUS.eq(queuedStatus));
        Field<Integer> ready = DSL.count().filterWhere(BUILD_QUEUE.STATUS.eq(queuedStatus)
                .and(BUILD_QUEUE.PENDING_DEPENDENCIES.eq(DSL.inline(0))).and(BUILD_QUEUE.NOT_BEFORE.le(now)));
        Field<Integer> building = DSL.count().filterWhere(BUILD_QUEUE.STATUS.eq(buildingStatus));
        return call(() -> dsl.select(BUILD_QUEUE.CUSTOMER_ID, queued, ready, building).from(BUILD_QUEUE)
                .where(BUILD_QUEUE.STATUS.in(queuedStatus, buildingStatus))
                .groupBy(BUILD_QUEUE.CUSTOMER_ID).orderBy(BUILD_QUEUE.CUSTOMER_ID)
                .fetch(r -> new CustomerDepth(r.value1(), r.value2(), r.value3(), r.value4())));
    }

    /** Queued builds per priority (1..10, only priorities that have any). */
    public Map<Integer, Long> depthByPriority() {
        Map<Integer, Long> depth = new LinkedHashMap<>();
        call(() -> dsl.select(BUILD_QUEUE.PRIORITY, DSL.count()).from(BUILD_QUEUE).where(BUILD_QUEUE.STATUS.eq("queued"))
                .groupBy(BUILD_QUEUE.PRIORITY).orderBy(BUILD_QUEUE.PRIORITY.desc()).fetch())
                .forEach(r -> depth.put(r.value1().intValue(), (long) r.value2()));
        return depth;
    }

    /** Age of the oldest queued build, by the database clock; empty when nothing is queued. */
    public Optional<Duration> oldestQueuedAge() {
        Record2<Instant, Instant> r = call(() -> dsl.select(DSL.min(BUILD_QUEUE.QUEUED_AT), DSL.currentInstant())
                .from(BUILD_QUEUE).where(BUILD_QUEUE.STATUS.eq("queued")).fetchOne());
        return r == null || r.value1() == null ? Optional.empty() : Optional.of(Duration.between(r.value1(), r.value2()));
    }

    /** Builds building for longer than {@code olderThan} (the seed's "stuck builds" health check), oldest first. */
    public List<Build> stuckBuilds(Duration olderThan) {
        Checks.notNull(olderThan, "olderThan");
        if (olderThan.isNegative()) {
            throw new InvalidRequestException("olderThan must not be negative");
        }
        return call(() -> Build.fetch(dsl.selectFrom(STUCK_BUILDS.call((int) Math.min(Integer.MAX_VALUE, olderThan.toSeconds())))));
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    /** The build row a single-build function returned, if it returned one (none: the build was not in that state). */
    private Optional<Build> first(Table<BuildQueueRecord> call) {
        return Build.fetch(dsl.selectFrom(call)).stream().findFirst();
    }

    private static void checkHolder(UUID buildId, String workerId) {
        Checks.notNull(buildId, "buildId");
        Checks.text(workerId, "workerId", 200);
    }

    /** Why a lease-holder operation matched no row. */
    private HonuaException notHeld(UUID buildId, String workerId) {
        return callBuild(buildId, () -> notHeld(dsl, buildId, workerId));
    }

    /** {@link #notHeld(UUID, String)} inside an operation (a failure of the read is left to the operation's call). */
    private static HonuaException notHeld(DSLContext ctx, UUID buildId, String workerId) {
        Record r = ctx.select(BUILD_QUEUE.STATUS, BUILD_QUEUE.WORKER_ID).from(BUILD_QUEUE).where(BUILD_QUEUE.ID.eq(buildId)).fetchOne();
        if (r == null) {
            return new UnknownBuildException("no build " + buildId).initBuildId(buildId);
        }
        String status = r.get(BUILD_QUEUE.STATUS);
        String holder = r.get(BUILD_QUEUE.WORKER_ID);
        if ("cancelled".equals(status) && workerId.equals(holder)) {
            return new BuildCancelledException("build " + buildId + " was cancelled").initBuildId(buildId);
        }
        return new LeaseLostException("worker " + workerId + " does not hold build " + buildId + " (status " + status
                + (holder == null ? "" : ", held by " + holder) + ")").initBuildId(buildId);
    }

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.QUEUE);

    /**
     * Runs one operation of its own transaction, its failure translated by {@link ErrorTranslator} (the exceptions of
     * every capability come from there). A statement that started while a migration changed the shape of
     * {@code build_queue} (its row type was fixed before the change, the function body planned after it) fails without
     * changing anything; it is run once more. Operations in a caller's transaction have no second attempt (the failure
     * aborted that transaction).
     */
    private static <T> T call(Supplier<T> action) {
        return ErrorTranslator.callRetryingOnce(ERRORS, null, null, BuildQueue::rowTypeChangedUnderStatement, action);
    }

    /** {@link #call(Supplier)} about one build: its exceptions carry the build id. */
    private static <T> T callBuild(UUID buildId, Supplier<T> action) {
        return ErrorTranslator.callRetryingOnce(ERRORS, null, buildId, BuildQueue::rowTypeChangedUnderStatement, action);
    }

    /** {@link #call(Supplier)} about one customer: its exceptions carry the customer id. */
    private static <T> T callCustomer(String customerId, Supplier<T> action) {
        return ErrorTranslator.callRetryingOnce(ERRORS, customerId, null, BuildQueue::rowTypeChangedUnderStatement, action);
    }

    /**
     * 42804 "structure of query does not match function result type", 42P13 "return type mismatch", 0A000 "cached plan
     * must not change result type": a row type changed under the statement.
     */
    static boolean rowTypeChangedUnderStatement(DataAccessException e) {
        SqlState state = SqlState.of(e.sqlState()).orElse(null);
        if (state == null) {
            return false;
        }
        String message = SqlErrors.serverMessage(e);
        return switch (state) {
            case DATATYPE_MISMATCH -> message.contains("does not match function result type");
            case INVALID_FUNCTION_DEFINITION -> message.contains("return type mismatch");
            case FEATURE_NOT_SUPPORTED -> message.contains("cached plan must not change result type");
            default -> false;
        };
    }
}
