package io.honua.db.queue;

import io.honua.db.internal.Checks;
import io.honua.db.core.HonuaException;
import io.honua.db.internal.QueueWakeUp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * A worker loop: claims builds in batches, runs each on its own virtual thread, heartbeats while they run, and
 * completes or fails them with the handler's outcome.
 *
 * <pre>{@code
 * try (BuildWorker worker = BuildWorker.builder(queue, dataSource, "worker-1", (build, ctx) -> {
 *         ctx.progress(50, "compiling");
 *         return Completion.builder(Duration.ofSeconds(42)).build();
 *     }).maxConcurrent(8).start()) {
 *     ...
 * }   // close(): stops claiming, lets running builds finish within the grace period, releases the rest
 * }</pre>
 *
 * <p>Round trips: one claim per batch, one heartbeat statement per interval for all running builds
 * ({@link BuildQueue#heartbeatAll}), and completions and failures written in batches ({@link BuildQueue#completeAll},
 * {@link BuildQueue#failAll}: builds finishing while a batch is being written go into the next one).
 * When the database is unreachable or the pool exhausted, the worker backs off exponentially (from 50 ms, doubling up
 * to {@link Builder#errorBackoffMax}) and keeps going once it is back, without a restart of its own: unwritten
 * completions are retried while the build is still held (heartbeats keep the lease), and claims resume.
 *
 * <p>Guarantees: at most {@code maxConcurrent} handlers run at once (a build whose handler returned frees its slot
 * while its outcome is being written, and keeps its lease until then); every claimed build ends in exactly one of
 * complete, fail, or (on shutdown past the grace period, or when the lease was lost) release/abandon, so no build is
 * left BUILDING by a worker that closed normally. A worker that dies without closing loses nothing either: its leases
 * expire and {@link BuildQueue#recoverExpiredLeases()} requeues the builds.
 */
public final class BuildWorker implements AutoCloseable {

    private final BuildQueue queue;
    private final String workerId;
    private final BuildHandler handler;
    private final int batchSize;
    private final int maxConcurrent;
    private final Duration pollInterval;
    private final Duration heartbeatInterval;
    private final Duration shutdownGrace;
    private final Consumer<Throwable> errorListener;
    private final QueueWakeUp wakeUp;
    private final Duration errorBackoffMax;
    private final int completionBatch;
    /** Null when none was set: the steps are then called directly. */
    private final WorkerInterceptor interceptor;
    private final java.util.concurrent.LinkedBlockingQueue<Outcome> outcomes = new java.util.concurrent.LinkedBlockingQueue<>();
    private final AtomicLong backoffs = new AtomicLong();

    private final Semaphore slots;
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean stopping;
    private Thread loop;
    private Thread heartbeats;
    private Thread writer;

    private BuildWorker(Builder b) {
        this.queue = b.queue;
        this.workerId = b.workerId;
        this.handler = b.handler;
        this.batchSize = b.options.batchSize();
        this.maxConcurrent = b.options.maxConcurrent();
        this.pollInterval = b.options.pollInterval();
        this.heartbeatInterval = b.options.heartbeatInterval().orElse(queue.options().lease().dividedBy(3));
        this.shutdownGrace = b.options.shutdownGrace();
        this.errorListener = b.errorListener;
        this.wakeUp = new QueueWakeUp(b.dataSource);
        this.slots = new Semaphore(maxConcurrent);
        this.errorBackoffMax = b.options.errorBackoffMax();
        this.completionBatch = b.options.completionBatch();
        this.interceptor = b.interceptor;
    }

    public static Builder builder(BuildQueue queue, DataSource listenDataSource, String workerId, BuildHandler handler) {
        return new Builder(queue, listenDataSource, workerId, handler);
    }

    private synchronized BuildWorker startThreads() {
        loop = Thread.ofPlatform().name("honua-worker-" + workerId).daemon(true).start(this::claimLoop);
        heartbeats = Thread.ofPlatform().name("honua-heartbeat-" + workerId).daemon(true).start(this::heartbeatLoop);
        writer = Thread.ofPlatform().name("honua-outcomes-" + workerId).daemon(true).start(this::writeLoop);
        return this;
    }

    public String workerId() {
        return workerId;
    }

    /** Builds this worker completed so far. */
    public long completedCount() {
        return completed.get();
    }

    /** Attempts this worker reported as failed so far. */
    public long failedCount() {
        return failed.get();
    }

    /** Times the worker backed off because the database was unavailable or the pool exhausted. */
    public long backoffCount() {
        return backoffs.get();
    }

    /** Builds running right now. */
    public int runningCount() {
        return running.size();
    }

    private void claimLoop() {
        long backoff = 0;
        while (!stopping) {
            try {
                int free = slots.availablePermits();
                if (free == 0) {
                    if (slots.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS)) {
                        slots.release();
                    }
                    continue;
                }
                // while builds run, let finishing ones free up to half a batch first (they are written in batches
                // anyway): fewer, fuller claims instead of one claim per finished build
                int half = Math.max(1, Math.min(batchSize, maxConcurrent) / 2);
                if (free < half && !running.isEmpty() && slots.tryAcquire(half, 20, TimeUnit.MILLISECONDS)) {
                    slots.release(half);
                    free = slots.availablePermits();
                }
                int limit = Math.min(batchSize, free);
                var builds = interceptor == null ? queue.claim(workerId, limit)
                        : interceptor.claim(limit, () -> queue.claim(workerId, limit));
                backoff = 0;
                for (Build build : builds) {
                    slots.acquireUninterruptibly();
                    Running r = new Running(build);
                    running.put(build.id(), r);
                    executor.submit(() -> execute(r));
                }
                if (builds.isEmpty() && !stopping) {
                    wakeUp.await(pollInterval);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (DatabaseUnavailableException e) {
                // pool exhausted, server restarting, connection killed: back off (exponential, capped), then retry
                backoff = nextBackoff(backoff);
                errorListener.accept(e);
                sleep(backoff);
            } catch (RuntimeException e) {
                backoff = nextBackoff(backoff);
                errorListener.accept(e);
                sleep(Math.max(backoff, Math.min(pollInterval.toMillis(), errorBackoffMax.toMillis())));
            }
        }
    }

    /** One more back-off step: 50 ms, doubling up to {@code errorBackoffMax}; counted in {@link #backoffCount()}. */
    private long nextBackoff(long previous) {
        backoffs.incrementAndGet();
        return previous == 0 ? 50 : Math.min(previous * 2, errorBackoffMax.toMillis());
    }

    private void execute(Running r) {
        r.thread = Thread.currentThread();
        boolean slotFreed = false;
        try {
            Completion completion;
            try {
                r.enterHandler();
                try {
                    completion = interceptor == null ? handler.run(r.build, r) : interceptor.handle(r.build, r, handler);
                } finally {
                    r.leaveHandler();
                    // the handler is done: its slot may take the next build while the outcome is being written
                    slots.release();
                    slotFreed = true;
                }
            } catch (Exception e) {
                if (!r.stopped) {
                    String message = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                    if (write(new Outcome(r, null, message.length() > 10_000 ? message.substring(0, 10_000) : message))) {
                        failed.incrementAndGet();
                    }
                }
                return;
            }
            if (!r.stopped) {
                if (write(new Outcome(r, Objects.requireNonNull(completion, "handler returned null"), null))) {
                    completed.incrementAndGet();
                }
            }
        } catch (LeaseLostException e) {
            // cancelled or taken over: nothing to report
        } catch (RuntimeException e) {
            errorListener.accept(e);
        } finally {
            if (r.releaseOnStop && r.stopped) {
                try {
                    queue.release(r.build.id(), workerId);
                } catch (RuntimeException e) {
                    // lease already gone: the build is someone else's now
                }
            }
            running.remove(r.build.id());
            if (!slotFreed) {
                slots.release();
            }
        }
    }

    private void heartbeatLoop() {
        long next = System.nanoTime() + heartbeatInterval.toNanos();
        while (!stopping || !running.isEmpty()) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                // close() wakes this thread at once: an idle worker closes without waiting out an interval; builds
                // finishing within the grace period keep their heartbeats on schedule (checked every 20 ms)
                try {
                    if (closing.await(wait, TimeUnit.NANOSECONDS)) {
                        Thread.sleep(Math.min(20, TimeUnit.NANOSECONDS.toMillis(wait) + 1));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                continue;
            }
            next = System.nanoTime() + heartbeatInterval.toNanos();
            Map<UUID, Running> live = new java.util.HashMap<>();
            for (Running r : running.values()) {
                if (!r.stopped) {
                    live.put(r.build.id(), r);
                }
            }
            if (!live.isEmpty()) {
                try {
                    HeartbeatResult beat = queue.heartbeatAll(workerId, live.keySet());
                    beat.cancelled().forEach(id -> live.get(id).stop(false));
                    beat.lost().forEach(id -> live.get(id).stop(false));
                } catch (RuntimeException e) {
                    errorListener.accept(e);   // the next interval tries again; leases last three intervals
                }
            }
            if (stopping && running.isEmpty()) {
                return;
            }
        }
    }

    /**
     * Stops claiming, waits up to the shutdown grace period for running builds, then interrupts the rest and releases
     * them back to the queue (the attempt is not counted). Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        closing.countDown();
        wakeUp.close();
        join(loop, pollInterval.plusSeconds(5));
        long deadline = System.nanoTime() + shutdownGrace.toNanos();
        while (!running.isEmpty() && System.nanoTime() < deadline) {
            sleep(10);
        }
        for (Running r : running.values()) {
            r.stop(true);
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                errorListener.accept(new HonuaException("worker " + workerId + ": handlers ignored interruption"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        join(heartbeats, heartbeatInterval.plusSeconds(5));
        outcomes.add(Outcome.END);
        join(writer, Duration.ofSeconds(10));
    }

    /** A finished build's outcome, written by the writer thread; the build's virtual thread waits for it. */
    private static final class Outcome {
        static final Outcome END = new Outcome(null, null, null);
        final Running run;
        final Completion completion;
        final String error;
        final java.util.concurrent.CompletableFuture<Boolean> written = new java.util.concurrent.CompletableFuture<>();

        Outcome(Running run, Completion completion, String error) {
            this.run = run;
            this.completion = completion;
            this.error = error;
        }
    }

    /** Hands an outcome to the writer and waits until it is written: true when it was, false when the lease was lost. */
    private boolean write(Outcome o) {
        outcomes.add(o);
        try {
            return o.written.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new HonuaException("outcome not written", e.getCause());
        }
    }

    /**
     * Writes outcomes in batches: whatever finished while the previous batch was written goes into the next, with
     * one completeAll and one failAll statement. Transient failures are retried with backoff while the worker holds
     * the builds (the heartbeat thread keeps their leases); a build whose lease was lost is reported as not written.
     */
    private void writeLoop() {
        long backoff = 0;
        List<Outcome> batch = new ArrayList<>();
        while (true) {
            try {
                if (batch.isEmpty()) {
                    Outcome first = outcomes.take();
                    if (first == Outcome.END) {
                        return;
                    }
                    batch.add(first);
                    outcomes.drainTo(batch, completionBatch - 1);
                    if (batch.remove(Outcome.END)) {
                        outcomes.add(Outcome.END);
                    }
                }
                writeBatch(batch);
                batch.clear();
                backoff = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                batch.forEach(o -> o.written.complete(false));
                return;
            } catch (DatabaseUnavailableException e) {
                backoff = nextBackoff(backoff);
                errorListener.accept(e);
                sleep(backoff);
            } catch (RuntimeException e) {
                // not transient (e.g. a bad artifact): write the outcomes of this batch one by one so one cannot block the rest
                errorListener.accept(e);
                for (Outcome o : batch) {
                    try {
                        writeBatch(List.of(o));
                    } catch (RuntimeException single) {
                        o.written.completeExceptionally(single);
                    }
                }
                batch.clear();
            }
        }
    }

    private void writeBatch(List<Outcome> batch) {
        Map<UUID, Completion> completions = new java.util.LinkedHashMap<>();
        Map<UUID, String> errors = new java.util.LinkedHashMap<>();
        Map<UUID, Outcome> byId = new java.util.HashMap<>();
        List<Build> completing = interceptor == null ? null : new ArrayList<>();
        List<Build> failing = interceptor == null ? null : new ArrayList<>();
        for (Outcome o : batch) {
            byId.put(o.run.build.id(), o);
            if (o.completion != null) {
                completions.put(o.run.build.id(), o.completion);
            } else {
                errors.put(o.run.build.id(), o.error);
            }
            if (interceptor != null) {
                (o.completion != null ? completing : failing).add(o.run.build);
            }
        }
        List<UUID> notHeld = new ArrayList<>();
        if (!completions.isEmpty()) {
            notHeld.addAll((interceptor == null ? queue.completeAll(workerId, completions)
                    : interceptor.complete(completing, () -> queue.completeAll(workerId, completions))).notHeld());
        }
        if (!errors.isEmpty()) {
            notHeld.addAll((interceptor == null ? queue.failAll(workerId, errors)
                    : interceptor.fail(failing, () -> queue.failAll(workerId, errors))).notHeld());
        }
        for (UUID id : notHeld) {
            Outcome o = byId.remove(id);
            o.run.stop(false);
            o.written.complete(false);
        }
        byId.values().forEach(o -> o.written.complete(true));
    }

    private static void join(Thread t, Duration max) {
        if (t == null) {
            return;
        }
        try {
            t.join(max);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Running implements BuildContext {
        final Build build;
        volatile Thread thread;
        volatile boolean stopped;
        volatile boolean releaseOnStop;

        Running(Build build) {
            this.build = build;
        }

        // Interrupts reach the handler's own code only: an interrupted virtual thread blocked in socket I/O closes
        // the connection, so a thread inside a queue call (JDBC) is never interrupted; it is interrupted right after.
        private boolean inHandler;
        private boolean inQueueCall;

        synchronized void enterHandler() {
            inHandler = true;
            if (stopped) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized void leaveHandler() {
            inHandler = false;
            Thread.interrupted(); // a leftover interrupt must not break the completion's JDBC calls
        }

        void stop(boolean release) {
            releaseOnStop = release;
            stopped = true;
            synchronized (this) {
                Thread t = thread;
                if (t != null && inHandler && !inQueueCall) {
                    t.interrupt();
                }
            }
        }

        @Override
        public void progress(int percent, String currentStep) {
            synchronized (this) {
                inQueueCall = true;
            }
            boolean wasInterrupted = Thread.interrupted();
            try {
                queue.updateProgress(build.id(), workerId, percent, currentStep);
            } catch (LeaseLostException e) {
                stop(false);
                throw e;
            } finally {
                synchronized (this) {
                    inQueueCall = false;
                    if (wasInterrupted || stopped) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }

        @Override
        public boolean isStopped() {
            return stopped;
        }
    }

    /**
     * Options of one {@link BuildWorker}: starts from {@link WorkerOptions#DEFAULTS} (or the {@code HonuaDb}'s worker
     * options when obtained from {@code HonuaDb.worker}); each setter overrides one of them.
     */
    public static final class Builder {
        private final BuildQueue queue;
        private final DataSource dataSource;
        private final String workerId;
        private final BuildHandler handler;
        private WorkerOptions options = WorkerOptions.DEFAULTS;
        private WorkerInterceptor interceptor;
        private Consumer<Throwable> errorListener = e -> System.getLogger("io.honua.db.queue.BuildWorker")
                .log(System.Logger.Level.WARNING, "build worker error", e);

        private Builder(BuildQueue queue, DataSource dataSource, String workerId, BuildHandler handler) {
            this.queue = Checks.notNull(queue, "queue");
            this.dataSource = Checks.notNull(dataSource, "dataSource");
            this.workerId = Checks.text(workerId, "workerId", 200);
            this.handler = Checks.notNull(handler, "handler");
        }

        /** All tuning at once (replaces what earlier setters set). */
        public Builder options(WorkerOptions options) {
            this.options = Checks.notNull(options, "options");
            return this;
        }

        /** Builds claimed per round trip (default 10). */
        public Builder batchSize(int n) {
            this.options = options.withBatchSize(n);
            return this;
        }

        /** Builds running at once (default 10). */
        public Builder maxConcurrent(int n) {
            this.options = options.withMaxConcurrent(n);
            return this;
        }

        /** Fallback poll when no notification arrives (default 5 s). */
        public Builder pollInterval(Duration d) {
            this.options = options.withPollInterval(d);
            return this;
        }

        /** Heartbeat period (default a third of the lease). */
        public Builder heartbeatInterval(Duration d) {
            this.options = options.withHeartbeatInterval(d);
            return this;
        }

        /** How long {@link BuildWorker#close()} lets running builds finish (default 30 s). */
        public Builder shutdownGrace(Duration d) {
            this.options = options.withShutdownGrace(d);
            return this;
        }

        /** Longest wait between retries while the database is unavailable (default 5 s; backoff starts at 50 ms). */
        public Builder errorBackoffMax(Duration d) {
            this.options = options.withErrorBackoffMax(d);
            return this;
        }

        /** Most outcomes written per statement (default 100). */
        public Builder completionBatch(int n) {
            this.options = options.withCompletionBatch(n);
            return this;
        }

        /**
         * Runs around each handler run and each claim, complete and fail statement (default: none, the steps are
         * called directly), e.g. {@code honua-opentelemetry}'s spans.
         */
        public Builder interceptor(WorkerInterceptor interceptor) {
            this.interceptor = Checks.notNull(interceptor, "interceptor");
            return this;
        }

        /** Receives unexpected errors (default: logged through System.Logger). */
        public Builder errorListener(Consumer<Throwable> listener) {
            this.errorListener = Checks.notNull(listener, "errorListener");
            return this;
        }

        public BuildWorker start() {
            return new BuildWorker(this).startThreads();
        }
    }
}
