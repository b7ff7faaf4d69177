package io.honua.db.observability;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Checks;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;

/**
 * jOOQ listener timing every statement a {@link io.honua.db.HonuaDb} executes, from rendering to the last fetched row.
 * Statements slower than the threshold are logged at WARNING on the {@link System.Logger} named after this class
 * (SQL text without bind values: no customer data in logs), and counted. Counters are lock-free
 * ({@link LongAdder}) and cumulative; {@link #stats()} reads them without stopping traffic.
 *
 * <p>Off by default; enable with {@code HonuaDb.builder(ds).slowQueryThreshold(Duration.ofMillis(200))}. Thread-safe:
 * one instance serves every connection.
 */
public final class SlowQueryListener implements ExecuteListener {

    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(SlowQueryListener.class.getName());
    private static final String START = SlowQueryListener.class.getName() + ".start";

    private final long thresholdNanos;
    private final Duration threshold;
    private final LongAdder statements = new LongAdder();
    private final LongAdder slowStatements = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();
    private final LongAdder slowNanos = new LongAdder();

    /**
     * A listener counting statements slower than {@code threshold} as slow.
     *
     * @throws InvalidRequestException when {@code threshold} is null or negative
     */
    public SlowQueryListener(Duration threshold) {
        Checks.notNull(threshold, "threshold");
        if (threshold.isNegative()) {
            throw new InvalidRequestException("threshold must not be negative, got " + threshold);
        }
        this.threshold = threshold;
        this.thresholdNanos = threshold.toNanos();
    }

    public Duration threshold() {
        return threshold;
    }

    @Override
    public void start(ExecuteContext ctx) {
        ctx.data(START, System.nanoTime());
    }

    @Override
    public void end(ExecuteContext ctx) {
        Object start = ctx.data(START);
        if (!(start instanceof Long t0)) {
            return;
        }
        long elapsed = System.nanoTime() - t0;
        statements.increment();
        totalNanos.add(elapsed);
        if (elapsed > thresholdNanos) {
            slowStatements.increment();
            slowNanos.add(elapsed);
            if (LOG.isLoggable(Level.WARNING)) {
                LOG.log(Level.WARNING, "slow statement: {0} ms (threshold {1} ms){2}: {3}",
                        elapsed / 1_000_000, threshold.toMillis(), ctx.exception() == null ? "" : " failed",
                        ctx.sql() == null ? String.valueOf(ctx.query()) : ctx.sql());
            }
        }
    }

    /** The counters now. */
    public QueryStats stats() {
        return new QueryStats(statements.sum(), slowStatements.sum(), Duration.ofNanos(totalNanos.sum()),
                Duration.ofNanos(slowNanos.sum()));
    }
}
