package io.honua.db.cache;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.SqlErrors;
import io.honua.db.internal.SqlState;
import io.honua.db.types.Tier;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * Asynchronous, batching writer of cache access events: {@link #record} puts an event into a bounded in-memory buffer
 * and returns at once; one background thread writes the buffer in batches of up to {@link RecorderOptions#batchSize()}
 * events (waiting up to {@link RecorderOptions#linger()} for a batch to fill, so a burst is one write), each batch one
 * round trip and one transaction ({@link BuildCache#recordBatch}: one multi-row
 * {@code INSERT ... SELECT FROM unnest(...)} into {@code build_access_log}, whose statement trigger adds the hits of the
 * batch to {@code build_cache_registry} with one update per entry).
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Bounded memory.</b> At most {@link RecorderOptions#capacity()} events are buffered. When the buffer is full,
 *       {@link #record(AccessEvent)} does not block: it returns {@code false} and the event is not accepted (counted as
 *       {@code refused}); {@link #record(AccessEvent, Duration)} waits up to the given time for room.</li>
 *   <li><b>Nothing accepted is lost silently.</b> A batch that fails transiently (connection lost or refused, lock or
 *       statement timeout, deadlock, server shutting down, privilege revoked — anything but a data or syntax error) is retried with exponential
 *       backoff ({@link RecorderOptions#retryBackoffBase()} doubling up to {@link RecorderOptions#retryBackoffMax()}),
 *       indefinitely while the recorder is open; meanwhile new events buffer up to the capacity.</li>
 *   <li><b>Exactly once.</b> Each batch has an id, written in the same transaction as its rows; a retry of a batch whose
 *       commit went through but whose acknowledgement was lost writes nothing. No event is written twice.</li>
 *   <li><b>Flush on close.</b> {@link #close()} stops accepting, writes everything buffered, and retries failed batches
 *       for up to {@link RecorderOptions#closeTimeout()}. Then {@link #report()} is final and accounts for every
 *       accepted event exactly once: {@code accepted == written + unwritten.size()}, each unwritten event with its
 *       reason ({@link UnwrittenEvent.Reason}).</li>
 *   <li><b>Order.</b> Events are written in acceptance order (one writer); each row keeps the time of its event.</li>
 * </ul>
 * Thread-safe: any number of producer threads may call {@link #record}. The writer is a daemon thread: close the
 * recorder before the JVM exits, or what is still buffered is lost. The close timeout bounds retrying failed batches,
 * not writing: while the database accepts batches, close() writes the whole buffer however long it takes.
 */
public final class CacheAccessRecorder implements AutoCloseable {

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final DSLContext dsl;
    private final RecorderOptions options;
    private final ArrayBlockingQueue<AccessEvent> buffer;
    private final Thread writer;

    private volatile boolean closing;
    private volatile long closeDeadlineNanos;
    private final AtomicInteger producersInside = new AtomicInteger();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** The accepted count the latest {@link #flush} waits for: while written + failed is below it, nobody lingers. */
    private final AtomicLong flushTarget = new AtomicLong();
    /** Flushers wait on it; the writer notifies it after each batch. */
    private final Object progress = new Object();
    private final AtomicInteger flushers = new AtomicInteger();
    private final List<UnwrittenEvent> unwritten = new ArrayList<>(); // guarded by itself
    private volatile RecorderReport finalReport;

    CacheAccessRecorder(DSLContext dsl, RecorderOptions options) {
        this.dsl = DSL.using(dsl.configuration().derive(org.jooq.conf.SettingsTools.clone(dsl.settings()).withQueryTimeout((int) Math.max(1, options.writeTimeout().toSeconds()))));
        this.options = options;
        this.buffer = new ArrayBlockingQueue<>(options.capacity());
        this.writer = Thread.ofPlatform().daemon().name("honua-cache-recorder-" + THREADS.incrementAndGet()).unstarted(this::run);
        this.writer.start();
    }

    // ---- producers ------------------------------------------------------------------------------------------------

    /**
     * Accepts the event for writing, without blocking.
     *
     * @return true when accepted (it will be written or reported in {@link #report()}); false when the buffer is full
     * @throws RecorderClosedException when {@link #close()} has begun
     */
    public boolean record(AccessEvent event) {
        Checks.notNull(event, "event");
        producersInside.incrementAndGet();
        try {
            checkOpen();
            return count(buffer.offer(event));
        } finally {
            producersInside.decrementAndGet();
        }
    }

    /** {@link #record(AccessEvent)} of an access happening now. */
    public boolean record(String customerId, String manifestHash, Tier tier, boolean hit) {
        return record(AccessEvent.now(customerId, manifestHash, tier, hit));
    }

    /**
     * Accepts the event, waiting up to {@code wait} for room in the buffer.
     *
     * @return true when accepted; false when the buffer stayed full
     * @throws RecorderClosedException when {@link #close()} has begun
     */
    public boolean record(AccessEvent event, Duration wait) {
        Checks.notNull(event, "event");
        Checks.notNull(wait, "wait");
        if (wait.isNegative()) {
            throw new InvalidRequestException("wait must not be negative, got " + wait);
        }
        producersInside.incrementAndGet();
        try {
            checkOpen();
            return count(buffer.offer(event, wait.toNanos(), TimeUnit.NANOSECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            refused.incrementAndGet();
            return false;
        } finally {
            producersInside.decrementAndGet();
        }
    }

    private void checkOpen() {
        if (closing) {
            throw new RecorderClosedException("the cache access recorder is closed");
        }
    }

    private boolean count(boolean offered) {
        (offered ? accepted : refused).incrementAndGet();
        return offered;
    }

    // ---- state ----------------------------------------------------------------------------------------------------

    /** Current counters; final (pending 0, every failure listed) once {@link #close()} has returned. */
    public RecorderReport report() {
        RecorderReport done = finalReport;
        if (done != null) {
            return done;
        }
        synchronized (unwritten) {
            long a = accepted.get();
            long w = written.get();
            long f = failed.get();
            return new RecorderReport(a, refused.get(), w, retried.get(), f, Math.max(0, a - w - f), unwritten);
        }
    }

    /**
     * Waits until as many events as had been accepted when it was called are written or failed (events are written in
     * acceptance order, so with producers quiet these are exactly the events accepted before the call). Does not stop
     * accepting.
     *
     * @return true when done; false when {@code timeout} passed first (e.g. while the database is down)
     */
    public boolean flush(Duration timeout) {
        Checks.notNull(timeout, "timeout");
        long target = accepted.get();
        if (done(target)) {
            return true;
        }
        flushTarget.accumulateAndGet(target, Math::max);
        long end = System.nanoTime() + timeout.toNanos();
        flushers.incrementAndGet();
        try {
            synchronized (progress) {
                while (!done(target)) {
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    // the writer notifies after every batch; the cap only bounds a notification missed by a failure path
                    progress.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 10)));
                }
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return done(target);
        } finally {
            flushers.decrementAndGet();
        }
    }

    private boolean done(long target) {
        return written.get() + failed.get() >= target;
    }

    private boolean flushPending() {
        return written.get() + failed.get() < flushTarget.get();
    }

    private void progressed() {
        if (flushers.get() > 0) {
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    /**
     * Removes and returns the unwritten events listed so far (a long-running recorder that meets unknown customers
     * would otherwise keep them all in memory). Taken events no longer appear in {@link #report()}'s list; the
     * {@code failed} counter still counts them. After close, {@link #report()} keeps its final list regardless.
     */
    public List<UnwrittenEvent> takeUnwritten() {
        synchronized (unwritten) {
            List<UnwrittenEvent> taken = List.copyOf(unwritten);
            unwritten.clear();
            return taken;
        }
    }

    public RecorderOptions options() {
        return options;
    }

    /**
     * Stops accepting events, writes what is buffered (retrying failed batches for up to
     * {@link RecorderOptions#closeTimeout()}), and returns when every accepted event is written or listed in
     * {@link #report()}. Idempotent.
     */
    @Override
    public void close() {
        if (!closing) {
            closeDeadlineNanos = System.nanoTime() + options.closeTimeout().toNanos();
            closing = true;
        }
        LockSupport.unpark(writer);
        boolean interrupted = false;
        while (writer.isAlive()) {
            try {
                writer.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- writer ---------------------------------------------------------------------------------------------------

    private void run() {
        List<AccessEvent> batch = new ArrayList<>(options.batchSize());
        try {
            while (true) {
                AccessEvent first = buffer.poll(20, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && producersInside.get() == 0 && buffer.isEmpty()) {
                        break;
                    }
                    continue;
                }
                batch.add(first);
                buffer.drainTo(batch, options.batchSize() - 1);
                linger(batch);
                boolean gaveUp = !write(batch);
                batch.clear();
                progressed();
                if (gaveUp) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            if (!batch.isEmpty()) {
                fail(batch, UUID.randomUUID(), UnwrittenEvent.Reason.NOT_WRITTEN, "recorder failed: " + e);
            }
        } finally {
            // close() gave up (or the writer died): everything left is reported, after the last producer is out
            while (producersInside.get() > 0) {
                LockSupport.parkNanos(1_000_000);
            }
            List<AccessEvent> rest = new ArrayList<>();
            buffer.drainTo(rest);
            if (!rest.isEmpty()) {
                fail(rest, UUID.randomUUID(), UnwrittenEvent.Reason.NOT_WRITTEN, "not sent: close timeout reached");
            }
            closing = true;
            synchronized (unwritten) {
                finalReport = new RecorderReport(accepted.get(), refused.get(), written.get(), retried.get(), failed.get(), 0, unwritten);
            }
            progressed();
        }
    }

    /**
     * Waits up to {@link RecorderOptions#linger()} for the batch to fill: without it, the writer wakes on the first
     * event of a burst and writes it nearly alone, and the burst costs two or more transactions instead of one. A
     * flush or close ends the wait (with what is buffered then).
     */
    private void linger(List<AccessEvent> batch) throws InterruptedException {
        int size = options.batchSize();
        long end = System.nanoTime() + options.linger().toNanos();
        while (batch.size() < size) {
            if (closing || flushPending()) {
                buffer.drainTo(batch, size - batch.size());
                return;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return;
            }
            // short slices: a flush() must not wait out the whole linger
            AccessEvent next = buffer.poll(Math.min(left, 200_000), TimeUnit.NANOSECONDS);
            if (next != null) {
                batch.add(next);
                buffer.drainTo(batch, size - batch.size());
            }
        }
    }

    /** Writes one batch, retrying transient failures. False when close() gave up on it (it is then reported). */
    private boolean write(List<AccessEvent> batch) {
        UUID batchId = UUID.randomUUID();
        boolean inDoubt = false;
        long backoff = options.retryBackoffBase().toNanos();
        while (true) {
            String error;
            Connection connection = null;
            try {
                connection = dsl.configuration().connectionProvider().acquire();
            } catch (RuntimeException e) {
                // nothing was sent: this attempt leaves the batch as it was (in doubt only if an earlier one did)
                error = "no connection: " + e.getMessage();
                if (!retry(batch, batchId, inDoubt, error)) {
                    return false;
                }
                backoff = pause(backoff);
                continue;
            }
            try {
                List<Integer> rejected = BuildCache.writeBatch(DSL.using(connection, dsl.dialect(), dsl.settings()), batchId, batch);
                written.addAndGet(batch.size() - rejected.size());
                if (!rejected.isEmpty()) {
                    List<AccessEvent> unknown = rejected.stream().map(batch::get).toList();
                    fail(unknown, batchId, UnwrittenEvent.Reason.UNKNOWN_CUSTOMER, "unknown or deleted customer");
                }
                return true;
            } catch (DataAccessException e) {
                String state = e.sqlState() == null ? "" : e.sqlState();
                if (permanent(state)) {
                    // the transaction was rolled back: nothing of this batch is written
                    fail(batch, batchId, UnwrittenEvent.Reason.REFUSED, state + " " + e.getMessage());
                    return true;
                }
                // a server error (lock timeout, deadlock, ...) rolls the batch back; a lost connection leaves it in doubt
                inDoubt = inDoubt || state.isEmpty() || SqlState.Category.CONNECTION_EXCEPTION.contains(state)
                        || SqlState.Category.SESSION_TERMINATED.contains(state);
                error = state + " " + SqlErrors.serverMessage(e);
            } catch (RuntimeException e) {
                inDoubt = true;
                error = e.toString();
            } finally {
                if (connection != null) {
                    release(connection);
                }
            }
            if (!retry(batch, batchId, inDoubt, error)) {
                return false;
            }
            backoff = pause(backoff);
        }
    }

    /** Counts a retry; false (and the batch reported) when close() is past its deadline. */
    private boolean retry(List<AccessEvent> batch, UUID batchId, boolean inDoubt, String error) {
        if (closing && System.nanoTime() - closeDeadlineNanos >= 0) {
            fail(batch, batchId, inDoubt ? UnwrittenEvent.Reason.IN_DOUBT : UnwrittenEvent.Reason.NOT_WRITTEN, error);
            return false;
        }
        retried.incrementAndGet();
        return true;
    }

    private long pause(long backoffNanos) {
        long sleep = backoffNanos;
        if (closing) {
            sleep = Math.min(sleep, Math.max(0, closeDeadlineNanos - System.nanoTime()));
        }
        LockSupport.parkNanos(sleep);
        return Math.min(backoffNanos * 2, options.retryBackoffMax().toNanos());
    }

    private static boolean permanent(String state) {
        // data and syntax errors do not heal by retrying; everything else (08 connection, 40 rollback, 53 resources,
        // 55 lock/object state, 57 operator intervention, timeouts, and 42501 missing privilege: an operator may grant
        // it back) may
        if (SqlState.INSUFFICIENT_PRIVILEGE.code().equals(state)) {
            return false;
        }
        for (SqlState.Category c : PERMANENT) {
            if (c.contains(state)) {
                return true;
            }
        }
        return false;
    }

    /** Classes of SQLSTATEs that do not heal by retrying: data, constraint, syntax, PL/pgSQL and the cache's own. */
    private static final List<SqlState.Category> PERMANENT = List.of(SqlState.Category.DATA_EXCEPTION,
            SqlState.Category.INTEGRITY_CONSTRAINT_VIOLATION, SqlState.Category.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION,
            SqlState.Category.DEPENDENT_PRIVILEGE_DESCRIPTORS_STILL_EXIST, SqlState.Category.PLPGSQL_ERROR,
            SqlState.Category.HONUA_CACHE);

    private void release(Connection connection) {
        try {
            dsl.configuration().connectionProvider().release(connection);
        } catch (RuntimeException e) {
            // the connection is gone anyway
        }
    }

    private void fail(List<AccessEvent> events, UUID batchId, UnwrittenEvent.Reason reason, String detail) {
        synchronized (unwritten) {
            for (AccessEvent e : events) {
                unwritten.add(new UnwrittenEvent(e, batchId, reason, detail));
            }
            failed.addAndGet(events.size());
        }
    }
}
