package io.honua.db.opentelemetry;

import io.honua.db.queue.BatchResult;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildContext;
import io.honua.db.queue.BuildHandler;
import io.honua.db.queue.Completion;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.WorkerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * OpenTelemetry tracing of the build queue: the enqueuing request's trace context travels with the build, and a
 * {@link io.honua.db.queue.BuildWorker} reports its work as spans.
 *
 * <pre>{@code
 * HonuaTracing tracing = HonuaTracing.create(openTelemetry);
 * // enqueue, inside the request's span: the build stores its W3C traceparent / tracestate
 * queue.enqueue(tracing.captureContext(NewBuild.builder(customerId)).build());
 * // the worker: a span per handler run, linked to that context, and spans for claim, complete, fail
 * BuildWorker.builder(queue, dataSource, "worker-1", handler).interceptor(tracing.interceptor()).start();
 * }</pre>
 *
 * <p>Spans of the {@link #interceptor() interceptor} (instrumentation scope {@value #INSTRUMENTATION_NAME}; attribute
 * names follow the OpenTelemetry messaging conventions where one fits, {@code honua.*} otherwise):
 * <ul>
 *   <li>{@code process build_queue}, kind {@link SpanKind#CONSUMER}: one per handler run, current while the handler
 *       runs (spans the handler starts are its children; {@link Span#current()} is it). It starts a new trace and is
 *       <b>linked</b> to the stored enqueue context, not its child: a build may wait in the queue for hours and run
 *       several attempts, each its own trace, while the enqueuing request's trace has long ended (the OpenTelemetry
 *       messaging conventions recommend links for this); the sampler decides for it afresh, the link carries the
 *       enqueuer's sampled flag. Attributes: {@link #BUILD_ID}, {@link #CUSTOMER_ID}, {@link #ATTEMPT},
 *       {@link #WORKER_ID}, and {@link #OUTCOME}: {@code completed} (the handler returned a completion),
 *       {@code failed} (it threw: the exception is recorded and the status is ERROR), {@code stopped} (the worker
 *       stopped the build meanwhile: cancelled, lease lost, shut down; not an error). Whether the outcome was written
 *       shows on the complete or fail span.</li>
 *   <li>{@code claim build_queue}, kind {@link SpanKind#CLIENT}: one per claim statement that claimed builds or
 *       failed (an idle worker claims on every wake-up and poll: empty claims make no span; the span is created when
 *       the statement returns, with its start time), with {@link #BATCH_SIZE} (builds claimed), {@link #CLAIM_LIMIT},
 *       and a link to each claimed build's enqueue context.</li>
 *   <li>{@code complete build_queue} and {@code fail build_queue}, kind {@link SpanKind#CLIENT}: one per statement
 *       writing a batch of outcomes, current while it runs, with {@link #BATCH_SIZE}, {@link #NOT_HELD} (builds the
 *       worker no longer held, left unchanged) and a link to each build's enqueue context. A statement that fails
 *       (database unavailable; the worker retries) has status ERROR and the exception recorded.</li>
 * </ul>
 * Links beyond the SDK's limit per span (128 by default) are dropped by the SDK. A build enqueued without a trace
 * context gets no link.
 *
 * <p>Thread-safe and stateless apart from the tracer: one instance serves any number of workers.
 */
public final class HonuaTracing {

    /** Instrumentation scope name of the spans. */
    public static final String INSTRUMENTATION_NAME = "io.honua.db";

    /** {@code messaging.system}: always {@code honua}. */
    public static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    /** {@code messaging.destination.name}: always {@code build_queue}. */
    public static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    /** {@code messaging.operation.name}: process, claim, complete or fail. */
    public static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation.name");
    /** {@code messaging.batch.message_count}: builds in the claim, complete or fail batch. */
    public static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("messaging.batch.message_count");
    /** {@code honua.build.id} (also as {@code messaging.message.id}) of the process span. */
    public static final AttributeKey<String> BUILD_ID = AttributeKey.stringKey("honua.build.id");
    /** {@code messaging.message.id}: the build id, on the process span. */
    public static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    /** {@code honua.customer.id} of the process span. */
    public static final AttributeKey<String> CUSTOMER_ID = AttributeKey.stringKey("honua.customer.id");
    /** {@code honua.build.attempt}: the number of this attempt (1 for the first). */
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("honua.build.attempt");
    /** {@code honua.worker.id}: the worker that claimed the builds. */
    public static final AttributeKey<String> WORKER_ID = AttributeKey.stringKey("honua.worker.id");
    /** {@code honua.build.outcome} of the process span: completed, failed or stopped. */
    public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("honua.build.outcome");
    /** {@code honua.claim.limit}: builds the claim asked for. */
    public static final AttributeKey<Long> CLAIM_LIMIT = AttributeKey.longKey("honua.claim.limit");
    /** {@code honua.batch.not_held}: builds of a complete or fail batch the worker no longer held. */
    public static final AttributeKey<Long> NOT_HELD = AttributeKey.longKey("honua.batch.not_held");

    private static final String DESTINATION_NAME = "build_queue";
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

    private final Tracer tracer;
    private final WorkerInterceptor interceptor = new Spans();

    private HonuaTracing(OpenTelemetry openTelemetry) {
        this.tracer = Objects.requireNonNull(openTelemetry, "openTelemetry").getTracer(INSTRUMENTATION_NAME);
    }

    /** Tracing through {@code openTelemetry} (the SDK, the agent's {@code GlobalOpenTelemetry}, or a no-op). */
    public static HonuaTracing create(OpenTelemetry openTelemetry) {
        return new HonuaTracing(openTelemetry);
    }

    /**
     * Sets the W3C trace context of the {@linkplain Context#current() current context} on {@code build}
     * ({@link NewBuild.Builder#traceParent traceParent}, and {@link NewBuild.Builder#traceState traceState} when it
     * is not empty). Always in W3C format, whatever propagators the application configured, because that is what the
     * column holds. Without a valid current span the builder is left unchanged.
     *
     * @return {@code build}
     */
    public NewBuild.Builder captureContext(NewBuild.Builder build) {
        return captureContext(Context.current(), build);
    }

    /** {@link #captureContext(NewBuild.Builder)} with the trace context of {@code context}. */
    public NewBuild.Builder captureContext(Context context, NewBuild.Builder build) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(build, "build");
        Map<String, String> headers = new HashMap<>(2);
        W3C.inject(context, headers, (carrier, key, value) -> carrier.put(key, value));
        String traceparent = headers.get("traceparent");
        if (traceparent != null) {
            build.traceParent(traceparent);
            String tracestate = headers.get("tracestate");
            if (tracestate != null && !tracestate.isEmpty()) {
                build.traceState(tracestate);
            }
        }
        return build;
    }

    /**
     * The trace context stored with {@code build} by its enqueuer, as a remote span context (with its trace state),
     * or empty when the build was enqueued without one.
     */
    public static Optional<SpanContext> enqueueContext(Build build) {
        Objects.requireNonNull(build, "build");
        if (build.traceParent().isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> headers = new HashMap<>(2);
        headers.put("traceparent", build.traceParent().get());
        build.traceState().ifPresent(s -> headers.put("tracestate", s));
        SpanContext span = Span.fromContext(W3C.extract(Context.root(), headers, MapGetter.INSTANCE)).getSpanContext();
        return span.isValid() ? Optional.of(span) : Optional.empty();
    }

    /**
     * The {@link io.honua.db.queue.BuildWorker} interceptor that makes the spans described {@linkplain HonuaTracing
     * above}; set it with {@code BuildWorker.Builder.interceptor}. The same instance every call; thread-safe.
     */
    public WorkerInterceptor interceptor() {
        return interceptor;
    }

    private SpanBuilder batchSpan(String operation, List<Build> builds) {
        SpanBuilder span = tracer.spanBuilder(operation + ' ' + DESTINATION_NAME).setSpanKind(SpanKind.CLIENT)
                .setAttribute(MESSAGING_SYSTEM, "honua")
                .setAttribute(DESTINATION, DESTINATION_NAME)
                .setAttribute(OPERATION, operation)
                .setAttribute(BATCH_SIZE, (long) builds.size());
        if (!builds.isEmpty()) {
            builds.getFirst().workerId().ifPresent(w -> span.setAttribute(WORKER_ID, w));
        }
        for (Build b : builds) {
            enqueueContext(b).ifPresent(span::addLink);
        }
        return span;
    }

    private static void recordError(Span span, Throwable e) {
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }

    @SuppressWarnings("try") // the scope is only closed
    private BatchResult write(String operation, List<Build> builds, Supplier<BatchResult> statement) {
        Span span = batchSpan(operation, builds).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            BatchResult result = statement.get();
            span.setAttribute(NOT_HELD, (long) result.notHeld().size());
            return result;
        } catch (RuntimeException | Error e) {
            recordError(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    /** The spans, around the worker's steps. */
    private final class Spans implements WorkerInterceptor {

        @Override
        @SuppressWarnings("try") // the scope is only closed
        public Completion handle(Build build, BuildContext context, BuildHandler handler) throws Exception {
            SpanBuilder builder = tracer.spanBuilder("process " + DESTINATION_NAME).setSpanKind(SpanKind.CONSUMER)
                    .setNoParent()
                    .setAttribute(MESSAGING_SYSTEM, "honua")
                    .setAttribute(DESTINATION, DESTINATION_NAME)
                    .setAttribute(OPERATION, "process")
                    .setAttribute(MESSAGE_ID, build.id().toString())
                    .setAttribute(BUILD_ID, build.id().toString())
                    .setAttribute(CUSTOMER_ID, build.customerId())
                    .setAttribute(ATTEMPT, (long) build.attempts());
            build.workerId().ifPresent(w -> builder.setAttribute(WORKER_ID, w));
            enqueueContext(build).ifPresent(builder::addLink);
            Span span = builder.startSpan();
            try (Scope ignored = span.makeCurrent()) {
                Completion completion = handler.run(build, context);
                span.setAttribute(OUTCOME, context.isStopped() ? "stopped" : "completed");
                return completion;
            } catch (Throwable e) {
                if (context.isStopped()) {
                    span.setAttribute(OUTCOME, "stopped");
                    span.recordException(e);
                } else {
                    span.setAttribute(OUTCOME, "failed");
                    recordError(span, e);
                }
                throw e;
            } finally {
                span.end();
            }
        }

        @Override
        public List<Build> claim(int limit, Supplier<List<Build>> claim) {
            Instant start = Instant.now();
            List<Build> builds;
            try {
                builds = claim.get();
            } catch (RuntimeException | Error e) {
                Span span = batchSpan("claim", List.of()).setStartTimestamp(start).setAttribute(CLAIM_LIMIT, (long) limit)
                        .startSpan();
                recordError(span, e);
                span.end();
                throw e;
            }
            if (!builds.isEmpty()) {
                batchSpan("claim", builds).setStartTimestamp(start).setAttribute(CLAIM_LIMIT, (long) limit).startSpan().end();
            }
            return builds;
        }

        @Override
        public BatchResult complete(List<Build> builds, Supplier<BatchResult> complete) {
            return write("complete", builds, complete);
        }

        @Override
        public BatchResult fail(List<Build> builds, Supplier<BatchResult> fail) {
            return write("fail", builds, fail);
        }
    }

    private enum MapGetter implements TextMapGetter<Map<String, String>> {
        INSTANCE;

        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    }
}
