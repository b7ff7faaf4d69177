package io.honua.db.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;

/**
 * jOOQ listener that times the queue's lease operations in one place, without code in the DAOs or the worker: every
 * statement of the {@link io.honua.db.HonuaDb} it is installed in (with
 * {@code HonuaDb.builder(ds).executeListener(new QueueTimings(registry))}) is matched against the queue's SQL functions
 * and, when it calls one, recorded in the timer {@value #TIMER} with the tags {@code operation} (claim, heartbeat,
 * progress, complete, fail, release, enqueue, cancel, recover) and {@code outcome} (success, error).
 *
 * <p>The time is the statement's, from rendering to the last fetched row, as the service sees it (network included);
 * the {@code complete} of a completion with artifacts also runs the artifacts insert, which is not included. Other
 * statements cost one substring test. Thread-safe; one instance serves every connection.
 */
public final class QueueTimings implements ExecuteListener {

    private static final long serialVersionUID = 1L;

    /** Name of the timer. */
    public static final String TIMER = "honua.queue.operation";

    /** SQL function of the queue → operation tag. The worker's calls are claim, heartbeat, progress, complete, fail, release. */
    static final Map<String, String> OPERATIONS = Map.ofEntries(
            Map.entry("claim_builds", "claim"),
            Map.entry("heartbeat_builds", "heartbeat"),
            Map.entry("complete_builds", "complete"),
            Map.entry("fail_builds", "fail"),
            Map.entry("heartbeat_build", "heartbeat"),
            Map.entry("update_build_progress", "progress"),
            Map.entry("complete_build_with_result", "complete"),
            Map.entry("complete_build", "complete"),
            Map.entry("fail_build", "fail"),
            Map.entry("release_build", "release"),
            Map.entry("enqueue_builds", "enqueue"),
            Map.entry("cancel_build", "cancel"),
            Map.entry("handle_build_timeouts", "recover"));

    /** A call of one of those functions (longest names first, so a name is never taken for its prefix). */
    private static final Pattern CALL = Pattern.compile("\\b(" + OPERATIONS.keySet().stream()
            .sorted(java.util.Comparator.comparingInt(String::length).reversed().thenComparing(java.util.Comparator.naturalOrder()))
            .collect(java.util.stream.Collectors.joining("|")) + ")\"?\\s*\\(");
    private static final String START = QueueTimings.class.getName() + ".start";

    private final transient MeterRegistry registry;
    private final transient Map<String, Timer> timers = new ConcurrentHashMap<>();

    /** Records into {@code registry}. */
    public QueueTimings(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    @Override
    public void start(ExecuteContext ctx) {
        ctx.data(START, System.nanoTime());
    }

    @Override
    public void end(ExecuteContext ctx) {
        if (!(ctx.data(START) instanceof Long t0)) {
            return;
        }
        String sql = ctx.sql();
        if (sql == null || !sql.contains("_build")) {
            return;
        }
        Matcher m = CALL.matcher(sql.toLowerCase(Locale.ROOT));
        if (!m.find()) {
            return;
        }
        String operation = OPERATIONS.get(m.group(1));
        String outcome = ctx.exception() == null ? "success" : "error";
        timer(operation, outcome).record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private Timer timer(String operation, String outcome) {
        return timers.computeIfAbsent(operation + '/' + outcome, k -> Timer.builder(TIMER)
                .description("Database time of the build queue's operations (one statement each)")
                .tag("operation", operation)
                .tag("outcome", outcome)
                .register(registry));
    }
}
