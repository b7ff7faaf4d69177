package io.honua.db.queue;

import java.util.List;
import java.util.function.Supplier;

/**
 * Runs around the steps of a {@link BuildWorker}: each handler run, and each claim, complete and fail statement. Set
 * one with {@link BuildWorker.Builder#interceptor}; without one the worker calls the steps directly (no extra
 * allocation or indirection). {@code honua-opentelemetry} implements it to run each step inside a span.
 *
 * <p>Contract of every method: call the given step exactly once, on the calling thread, and return its result or
 * let its exception propagate unchanged (the worker derives the failure message and its retry decisions from it).
 * Anything may happen before and after the step (open a span and make it current, time it), but it must be quick and
 * must not throw: an exception thrown by the interceptor itself is treated as the step's. The default methods only
 * call the step.
 *
 * <p>Threads: {@link #handle} runs on the build's own virtual thread (so a context made current there is seen by the
 * handler), {@link #claim} on the worker's claim thread, {@link #complete} and {@link #fail} on its outcome-writer
 * thread; one instance may serve several workers at once and must be thread-safe.
 */
public interface WorkerInterceptor {

    /**
     * Around one run of the handler for a claimed build. {@code build} is the row as claimed (status BUILDING,
     * {@link Build#attempts()} the number of this attempt, {@link Build#traceParent()} the enqueuing request's trace
     * context). Returning normally means the handler returned the completion; whether it was written is decided
     * afterwards ({@link #complete}). {@link BuildContext#isStopped()} tells, after the step, whether the worker
     * stopped the build meanwhile (cancelled, lease lost, shutdown).
     *
     * @param handler the worker's handler: call {@code handler.run(build, context)} once
     */
    default Completion handle(Build build, BuildContext context, BuildHandler handler) throws Exception {
        return handler.run(build, context);
    }

    /**
     * Around one claim statement of up to {@code limit} builds ({@link BuildQueue#claim}). The step returns the builds
     * claimed, possibly none (the worker claims on every wake-up and poll, so most claims of an idle worker are empty).
     */
    default List<Build> claim(int limit, Supplier<List<Build>> claim) {
        return claim.get();
    }

    /**
     * Around one statement completing {@code builds} (the rows as claimed) with their handlers' completions
     * ({@link BuildQueue#completeAll}). {@link BatchResult#notHeld()} of the result lists those that were not
     * completed because the worker no longer held them.
     */
    default BatchResult complete(List<Build> builds, Supplier<BatchResult> complete) {
        return complete.get();
    }

    /**
     * Around one statement failing {@code builds} (the rows as claimed) with their handlers' errors
     * ({@link BuildQueue#failAll}): each is requeued with back-off or fails for good when out of attempts.
     */
    default BatchResult fail(List<Build> builds, Supplier<BatchResult> fail) {
        return fail.get();
    }
}
