package io.honua.db.micrometer;

import static io.honua.db.schema.generated.Tables.MAINTENANCE_RUNS;

import io.honua.db.HonuaDb;
import io.honua.db.analytics.QueueDepth;
import io.honua.db.cache.CacheAccessRecorder;
import io.honua.db.observability.SlowQueryListener;
import io.honua.db.queue.BuildWorker;
import io.honua.db.queue.CustomerDepth;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jooq.impl.DSL;

/**
 * Micrometer meters of one {@link HonuaDb}. Gauges read a snapshot of the database that {@link #refresh()} takes (two
 * queries for the queue, one over {@code maintenance_runs}); {@link #bindTo} takes one at once and then every
 * {@link Builder#refreshInterval refresh interval} on a daemon thread, so scrapes never wait for the database. A
 * failed refresh keeps the previous values and is reported to the error listener.
 *
 * <pre>{@code
 * MeterRegistry registry = ...;
 * HonuaDb honua = HonuaDb.builder(dataSource)
 *         .executeListener(new QueueTimings(registry))   // claim / complete / heartbeat ... timers
 *         .slowQueryThreshold(Duration.ofMillis(200))     // honua.db.statements{kind=slow}
 *         .build();
 * HonuaMeters meters = HonuaMeters.builder(honua).topCustomers(10).build();
 * meters.bindTo(registry);                                // close() stops the refreshes
 * HonuaMeters.bindWorker(registry, worker);
 * HonuaMeters.bindRecorder(registry, "cache-access", recorder);
 * }</pre>
 *
 * <p>Meters (all names start with {@code honua.}; cardinality is bounded):
 * <ul>
 *   <li>{@code honua.queue.depth{status=queued|ready|building}} builds waiting, claimable now, running;</li>
 *   <li>{@code honua.queue.customer.depth{customer, status=queued|building}} the {@code topCustomers} customers with
 *       the most builds waiting or running, the rest summed as {@code customer=other};</li>
 *   <li>{@code honua.queue.oldest.age} (seconds) age of the oldest waiting build, 0 when none;</li>
 *   <li>{@code honua.maintenance.runs{job, outcome=succeeded|failed}} rows of {@code maintenance_runs} (function
 *       counter; falls when old rows are purged);</li>
 *   <li>{@code honua.db.statements{kind=all|slow}} function timers from the {@link SlowQueryListener}, when enabled;</li>
 *   <li>with {@link #bindWorker}: {@code honua.worker.running{worker}} gauge, {@code honua.worker.builds{worker,
 *       outcome=completed|failed}} function counters;</li>
 *   <li>with {@link #bindRecorder}: {@code honua.recorder.events{recorder, state=accepted|written|refused|failed}}
 *       function counters and {@code honua.recorder.pending{recorder}} gauge;</li>
 *   <li>with {@link QueueTimings}: the timer {@code honua.queue.operation{operation, outcome}}.</li>
 * </ul>
 * Thread-safe.
 */
public final class HonuaMeters implements MeterBinder, AutoCloseable {

    /** Tag value that sums the customers beyond the top N. */
    public static final String OTHER_CUSTOMERS = "other";

    private final HonuaDb honua;
    private final int topCustomers;
    private final Duration refreshInterval;
    private final java.util.function.Consumer<Throwable> errorListener;

    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private final Map<String, long[]> maintenance = new ConcurrentHashMap<>(); // job -> {succeeded, failed}
    private final List<Runnable> onRefresh = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private ScheduledExecutorService scheduler;

    private HonuaMeters(Builder b) {
        this.honua = b.honua;
        this.topCustomers = b.topCustomers;
        this.refreshInterval = b.refreshInterval;
        this.errorListener = b.errorListener;
    }

    /** Starts the options of the meters of {@code honua}. */
    public static Builder builder(HonuaDb honua) {
        return new Builder(Objects.requireNonNull(honua, "honua"));
    }

    /** The queue and maintenance state behind the gauges; from the last successful {@link #refresh()}. */
    record Snapshot(QueueDepth depth, List<CustomerDepth> customers) {
        static final Snapshot EMPTY = new Snapshot(new QueueDepth(0, 0, 0, java.util.Optional.empty()), List.of());
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Gauge.builder("honua.queue.depth", this, m -> m.snapshot.depth().queued()).tag("status", "queued")
                .description("Builds waiting").strongReference(true).register(registry);
        Gauge.builder("honua.queue.depth", this, m -> m.snapshot.depth().ready()).tag("status", "ready")
                .description("Builds waiting that are claimable now").strongReference(true).register(registry);
        Gauge.builder("honua.queue.depth", this, m -> m.snapshot.depth().building()).tag("status", "building")
                .description("Builds running").strongReference(true).register(registry);
        TimeGauge.builder("honua.queue.oldest.age", this, TimeUnit.MILLISECONDS,
                        m -> m.snapshot.depth().oldestQueuedAge().map(Duration::toMillis).orElse(0L))
                .description("Age of the oldest waiting build (database clock)").strongReference(true).register(registry);

        MultiGauge perCustomer = MultiGauge.builder("honua.queue.customer.depth")
                .description("Builds waiting or running per customer; the top customers by name, the rest as 'other'")
                .register(registry);
        onRefresh.add(() -> perCustomer.register(customerRows(), true));

        Set<String> registeredJobs = ConcurrentHashMap.newKeySet();
        onRefresh.add(() -> {
            for (String job : maintenance.keySet()) {
                if (registeredJobs.add(job)) {
                    FunctionCounter.builder("honua.maintenance.runs", maintenance, m -> m.getOrDefault(job, new long[2])[0])
                            .tags("job", job, "outcome", "succeeded").description("Maintenance runs recorded in maintenance_runs")
                            .register(registry);
                    FunctionCounter.builder("honua.maintenance.runs", maintenance, m -> m.getOrDefault(job, new long[2])[1])
                            .tags("job", job, "outcome", "failed").description("Maintenance runs recorded in maintenance_runs")
                            .register(registry);
                }
            }
        });

        honua.slowQueryListener().ifPresent(listener -> {
            FunctionTimer.builder("honua.db.statements", listener, l -> l.stats().statements(),
                            l -> l.stats().totalTime().toNanos(), TimeUnit.NANOSECONDS)
                    .tag("kind", "all").description("Statements executed through the HonuaDb").register(registry);
            FunctionTimer.builder("honua.db.statements", listener, l -> l.stats().slowStatements(),
                            l -> l.stats().slowTime().toNanos(), TimeUnit.NANOSECONDS)
                    .tag("kind", "slow").description("Statements slower than the slow-query threshold").register(registry);
        });

        refreshQuietly();
        synchronized (this) {
            if (scheduler == null && !closed.get()) {
                scheduler = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                        .name("honua-meters").unstarted(r));
                long ms = refreshInterval.toMillis();
                scheduler.scheduleWithFixedDelay(this::refreshQuietly, ms, ms, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * Reads the queue depth (one statement), the depth per customer (one statement) and the maintenance runs per job
     * and outcome (one statement), and updates the gauges. Called by the refresh thread; call it yourself to have
     * current values at once.
     *
     * @throws io.honua.db.core.HonuaException when the database cannot be read (the previous values stay)
     */
    public void refresh() {
        QueueDepth depth = honua.analytics().queueDepth();
        List<CustomerDepth> customers = honua.buildQueue().depthByCustomer();
        Map<String, long[]> runs = new HashMap<>();
        try {
            honua.dsl().select(MAINTENANCE_RUNS.JOB, MAINTENANCE_RUNS.STATUS, DSL.count()).from(MAINTENANCE_RUNS)
                    .groupBy(MAINTENANCE_RUNS.JOB, MAINTENANCE_RUNS.STATUS)
                    .fetch()
                    .forEach(r -> runs.computeIfAbsent(r.value1(), j -> new long[2])["failed".equals(r.value2()) ? 1 : 0] = r.value3());
        } catch (org.jooq.exception.DataAccessException e) {
            throw new io.honua.db.core.HonuaException("cannot read maintenance_runs: " + e.getMessage(), e);
        }
        snapshot = new Snapshot(depth, customers);
        maintenance.putAll(runs);
        onRefresh.forEach(Runnable::run);
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            errorListener.accept(e);
        }
    }

    private List<MultiGauge.Row<?>> customerRows() {
        List<CustomerDepth> all = new ArrayList<>(snapshot.customers());
        all.sort(Comparator.comparingLong((CustomerDepth d) -> d.queued() + d.building()).reversed()
                .thenComparing(CustomerDepth::customerId));
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        long otherQueued = 0;
        long otherBuilding = 0;
        for (int i = 0; i < all.size(); i++) {
            CustomerDepth d = all.get(i);
            if (i < topCustomers) {
                rows.add(MultiGauge.Row.of(Tags.of("customer", d.customerId(), "status", "queued"), d.queued()));
                rows.add(MultiGauge.Row.of(Tags.of("customer", d.customerId(), "status", "building"), d.building()));
            } else {
                otherQueued += d.queued();
                otherBuilding += d.building();
            }
        }
        if (all.size() > topCustomers) {
            rows.add(MultiGauge.Row.of(Tags.of("customer", OTHER_CUSTOMERS, "status", "queued"), otherQueued));
            rows.add(MultiGauge.Row.of(Tags.of("customer", OTHER_CUSTOMERS, "status", "building"), otherBuilding));
        }
        return rows;
    }

    /** Stops the refresh thread; the meters stay registered with their last values. Idempotent. */
    @Override
    public void close() {
        closed.set(true);
        synchronized (this) {
            if (scheduler != null) {
                scheduler.shutdownNow();
            }
        }
    }

    /**
     * Meters of one worker, read from its counters (no database access): {@code honua.worker.running{worker}} and
     * {@code honua.worker.builds{worker, outcome=completed|failed}}.
     */
    public static void bindWorker(MeterRegistry registry, BuildWorker worker) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(worker, "worker");
        Gauge.builder("honua.worker.running", worker, BuildWorker::runningCount).tag("worker", worker.workerId())
                .description("Builds the worker is running now").register(registry);
        FunctionCounter.builder("honua.worker.builds", worker, BuildWorker::completedCount)
                .tags("worker", worker.workerId(), "outcome", "completed").description("Builds the worker completed")
                .register(registry);
        FunctionCounter.builder("honua.worker.builds", worker, BuildWorker::failedCount)
                .tags("worker", worker.workerId(), "outcome", "failed").description("Attempts the worker reported as failed")
                .register(registry);
    }

    /**
     * Meters of one cache access recorder, read from {@link CacheAccessRecorder#report()}:
     * {@code honua.recorder.events{recorder, state=accepted|written|refused|failed}} and
     * {@code honua.recorder.pending{recorder}}.
     */
    public static void bindRecorder(MeterRegistry registry, String name, CacheAccessRecorder recorder) {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(recorder, "recorder");
        FunctionCounter.builder("honua.recorder.events", recorder, r -> r.report().accepted())
                .tags("recorder", name, "state", "accepted").description("Access events the recorder accepted").register(registry);
        FunctionCounter.builder("honua.recorder.events", recorder, r -> r.report().written())
                .tags("recorder", name, "state", "written").description("Access events written to build_access_log").register(registry);
        FunctionCounter.builder("honua.recorder.events", recorder, r -> r.report().refused())
                .tags("recorder", name, "state", "refused").description("Access events refused: buffer full").register(registry);
        FunctionCounter.builder("honua.recorder.events", recorder, r -> r.report().failed())
                .tags("recorder", name, "state", "failed").description("Accepted access events that could not be written").register(registry);
        Gauge.builder("honua.recorder.pending", recorder, r -> r.report().pending()).tag("recorder", name)
                .description("Access events accepted and not yet written").register(registry);
    }

    /** Options of {@link HonuaMeters}. */
    public static final class Builder {
        private final HonuaDb honua;
        private int topCustomers = 10;
        private Duration refreshInterval = Duration.ofSeconds(15);
        private java.util.function.Consumer<Throwable> errorListener = e -> System.getLogger(HonuaMeters.class.getName())
                .log(System.Logger.Level.WARNING, "honua meters: refresh failed", e);

        private Builder(HonuaDb honua) {
            this.honua = honua;
        }

        /** Customers given their own tag in {@code honua.queue.customer.depth} (0..1000, default 10); the rest are "other". */
        public Builder topCustomers(int n) {
            if (n < 0 || n > 1000) {
                throw new IllegalArgumentException("topCustomers must be 0..1000, got " + n);
            }
            this.topCustomers = n;
            return this;
        }

        /** How often the database-backed gauges are refreshed (default 15 s, at least 100 ms). */
        public Builder refreshInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.toMillis() < 100) {
                throw new IllegalArgumentException("refreshInterval must be at least 100 ms, got " + interval);
            }
            this.refreshInterval = interval;
            return this;
        }

        /** Receives failed refreshes (default: logged at WARNING through System.Logger). */
        public Builder errorListener(java.util.function.Consumer<Throwable> listener) {
            this.errorListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public HonuaMeters build() {
            return new HonuaMeters(this);
        }
    }
}
