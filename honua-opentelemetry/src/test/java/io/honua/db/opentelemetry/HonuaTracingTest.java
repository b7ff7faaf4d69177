package io.honua.db.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.queue.Build;
import io.honua.db.queue.BuildHandler;
import io.honua.db.queue.BuildStatus;
import io.honua.db.queue.BuildWorker;
import io.honua.db.queue.Completion;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.QueueOptions;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.testkit.HonuaDatabase;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The trace context of an enqueuing span travels through PostgreSQL to the worker: spans read from the SDK's
 * in-memory exporter after real enqueues, claims and completions.
 */
@SuppressWarnings("try") // scopes and workers are only closed
class HonuaTracingTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    static HikariDataSource pool;
    static HonuaDb honua;
    static InMemorySpanExporter exporter;
    static OpenTelemetrySdk otel;
    static Tracer tracer;
    static HonuaTracing tracing;

    @BeforeAll
    static void setUp() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(8);
        pool = new HikariDataSource(config);
        honua = HonuaDb.builder(pool)
                .queueOptions(QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(5)).withBackoff(Duration.ofMillis(200), Duration.ofMillis(200)))
                .build();
        exporter = InMemorySpanExporter.create();
        otel = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
                .build();
        tracer = otel.getTracer("test");
        tracing = HonuaTracing.create(otel);
    }

    @AfterAll
    static void tearDown() {
        otel.close();
        pool.close();
    }

    @BeforeEach
    void reset() {
        exporter.reset();
    }

    static String customer() {
        String id = "otel-" + UUID.randomUUID().toString().substring(0, 8);
        return honua.customers().create(NewCustomer.builder(id, "Customer " + id).build()).customerId();
    }

    static BuildWorker worker(String id, BuildHandler handler) {
        return BuildWorker.builder(honua.buildQueue(), pool, id, handler).interceptor(tracing.interceptor())
                .pollInterval(Duration.ofMillis(100)).start();
    }

    static void await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(done.getAsBoolean()).as("done within 30 s").isTrue();
    }

    static BuildStatus status(UUID id) {
        return honua.buildQueue().find(id).orElseThrow().status();
    }

    static List<SpanData> spans(String name) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
    }

    static boolean linksTo(SpanData span, SpanContext enqueuer) {
        return span.getLinks().stream().map(LinkData::getSpanContext).anyMatch(l ->
                l.getTraceId().equals(enqueuer.getTraceId()) && l.getSpanId().equals(enqueuer.getSpanId()));
    }

    /** An incoming request's span, as a server span under a remote parent with a trace state. */
    static Span requestSpan() {
        SpanContext remote = SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                TraceFlags.getSampled(), TraceState.builder().put("vendor", "opaque-1").build());
        return tracer.spanBuilder("POST /builds").setSpanKind(SpanKind.SERVER)
                .setParent(Context.root().with(Span.wrap(remote))).startSpan();
    }

    /** Enqueues {@code build} with the trace context captured while {@code request} is current, then ends the request. */
    static Build enqueueDuring(Span request, NewBuild.Builder build) {
        try (Scope ignored = request.makeCurrent()) {
            return honua.buildQueue().enqueue(tracing.captureContext(build).build());
        } finally {
            request.end();
        }
    }

    @Test
    void theEnqueuingSpansContextIsStoredAndTheHandlerRunsInASpanLinkedToIt() throws Exception {
        String c = customer();
        Span request = requestSpan();
        Build queued = enqueueDuring(request, NewBuild.builder(c));
        SpanContext enqueuer = request.getSpanContext();
        String expected = "00-" + enqueuer.getTraceId() + "-" + enqueuer.getSpanId() + "-01";
        assertThat(queued.traceParent()).contains(expected);
        assertThat(queued.traceState()).contains("vendor=opaque-1");
        // stored in the row, not only echoed
        // (plain SQL with bind values: the generated tables are not exported to this module)
        var row = honua.dsl().fetchSingle("SELECT trace_parent, trace_state FROM build_queue WHERE id = ?", queued.id());
        assertThat(row.get("trace_parent", String.class)).isEqualTo(expected);
        assertThat(row.get("trace_state", String.class)).isEqualTo("vendor=opaque-1");
        assertThat(HonuaTracing.enqueueContext(queued)).hasValueSatisfying(sc -> {
            assertThat(sc.getTraceId()).isEqualTo(enqueuer.getTraceId());
            assertThat(sc.getSpanId()).isEqualTo(enqueuer.getSpanId());
            assertThat(sc.isRemote()).isTrue();
            assertThat(sc.getTraceState().get("vendor")).isEqualTo("opaque-1");
        });

        String[] insideHandler = new String[2];
        BuildHandler handler = (build, ctx) -> {
            // the process span is current: the handler's own spans are its children
            Span step = tracer.spanBuilder("compile").startSpan();
            step.end();
            insideHandler[0] = Span.current().getSpanContext().getSpanId();
            insideHandler[1] = step.getSpanContext().getSpanId();
            return Completion.builder(Duration.ofMillis(7)).build();
        };
        try (BuildWorker w = worker("otel-w1", handler)) {
            await(() -> status(queued.id()) == BuildStatus.COMPLETED);
        }

        SpanData process = spans("process build_queue").stream()
                .filter(s -> queued.id().toString().equals(s.getAttributes().get(HonuaTracing.BUILD_ID))).findFirst().orElseThrow();
        assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(process.getTraceId()).as("linked, not a child: a trace of its own").isNotEqualTo(enqueuer.getTraceId());
        assertThat(process.getParentSpanContext().isValid()).isFalse();
        assertThat(process.getLinks()).singleElement().satisfies(l -> {
            assertThat(l.getSpanContext().getTraceId()).isEqualTo(enqueuer.getTraceId());
            assertThat(l.getSpanContext().getSpanId()).isEqualTo(enqueuer.getSpanId());
            assertThat(l.getSpanContext().isSampled()).isTrue();
        });
        assertThat(process.getAttributes().get(HonuaTracing.CUSTOMER_ID)).isEqualTo(c);
        assertThat(process.getAttributes().get(HonuaTracing.ATTEMPT)).isEqualTo(1L);
        assertThat(process.getAttributes().get(HonuaTracing.OUTCOME)).isEqualTo("completed");
        assertThat(process.getAttributes().get(HonuaTracing.WORKER_ID)).isEqualTo("otel-w1");
        assertThat(process.getAttributes().get(HonuaTracing.MESSAGE_ID)).isEqualTo(queued.id().toString());
        assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(insideHandler[0]).isEqualTo(process.getSpanId());
        SpanData compile = spans("compile").getFirst();
        assertThat(compile.getSpanId()).isEqualTo(insideHandler[1]);
        assertThat(compile.getParentSpanId()).isEqualTo(process.getSpanId());
        assertThat(compile.getTraceId()).isEqualTo(process.getTraceId());

        SpanData claim = spans("claim build_queue").stream().filter(s -> linksTo(s, enqueuer)).findFirst().orElseThrow();
        assertThat(claim.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(claim.getAttributes().get(HonuaTracing.BATCH_SIZE)).isEqualTo(1L);
        assertThat(claim.getAttributes().get(HonuaTracing.CLAIM_LIMIT)).isPositive();
        assertThat(claim.getEndEpochNanos()).isLessThanOrEqualTo(process.getStartEpochNanos());
        assertThat(spans("claim build_queue")).as("empty claims make no span")
                .allSatisfy(s -> assertThat(s.getAttributes().get(HonuaTracing.BATCH_SIZE)).isPositive());

        SpanData complete = spans("complete build_queue").stream().filter(s -> linksTo(s, enqueuer)).findFirst().orElseThrow();
        assertThat(complete.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(complete.getAttributes().get(HonuaTracing.BATCH_SIZE)).isEqualTo(1L);
        assertThat(complete.getAttributes().get(HonuaTracing.NOT_HELD)).isZero();
        assertThat(complete.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(complete.getStartEpochNanos()).isGreaterThanOrEqualTo(process.getEndEpochNanos());
        assertThat(spans("fail build_queue")).isEmpty();
    }

    @Test
    void aFailingHandlerGivesAnErrorSpanPerAttemptAndFailSpans() throws Exception {
        String c = customer();
        Span request = requestSpan();
        Build queued = enqueueDuring(request, NewBuild.builder(c).maxAttempts(2));
        try (BuildWorker w = worker("otel-w2", (build, ctx) -> {
            throw new IllegalStateException("compiler crashed on attempt " + build.attempts());
        })) {
            await(() -> status(queued.id()) == BuildStatus.FAILED);
        }

        List<SpanData> runs = spans("process build_queue").stream()
                .filter(s -> queued.id().toString().equals(s.getAttributes().get(HonuaTracing.BUILD_ID))).toList();
        assertThat(runs).hasSize(2);
        assertThat(runs).extracting(s -> s.getAttributes().get(HonuaTracing.ATTEMPT)).containsExactlyInAnyOrder(1L, 2L);
        assertThat(runs).map(SpanData::getTraceId).doesNotHaveDuplicates();
        assertThat(runs).allSatisfy(s -> {
            assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(s.getStatus().getDescription()).startsWith("IllegalStateException: compiler crashed on attempt ");
            assertThat(s.getAttributes().get(HonuaTracing.OUTCOME)).isEqualTo("failed");
            assertThat(linksTo(s, request.getSpanContext())).isTrue();
            EventData exception = s.getEvents().stream().filter(e -> e.getName().equals("exception")).findFirst().orElseThrow();
            assertThat(exception.getAttributes().asMap().values()).anyMatch(v -> v.toString().equals(IllegalStateException.class.getName()));
        });

        List<SpanData> fails = spans("fail build_queue").stream().filter(s -> linksTo(s, request.getSpanContext())).toList();
        assertThat(fails).hasSize(2).allSatisfy(s -> {
            assertThat(s.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(s.getAttributes().get(HonuaTracing.BATCH_SIZE)).isEqualTo(1L);
            assertThat(s.getAttributes().get(HonuaTracing.NOT_HELD)).isZero();
            assertThat(s.getStatus().getStatusCode()).as("the statement itself succeeded").isEqualTo(StatusCode.UNSET);
        });
        assertThat(spans("complete build_queue")).noneMatch(s -> linksTo(s, request.getSpanContext()));
    }

    @Test
    void anInvalidTraceParentIsATypedErrorAndNothingIsStored() {
        String c = customer();
        assertThatThrownBy(() -> honua.buildQueue().enqueue(NewBuild.builder(c)
                .traceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331").build()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("traceParent");
        assertThatThrownBy(() -> honua.buildQueue().enqueue(NewBuild.builder(c)
                .traceParent("00-00000000000000000000000000000000-b7ad6b7169203331-01").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(honua.dsl().fetchValue("SELECT count(*) FROM build_queue WHERE customer_id = ?", c)).isEqualTo(0L);
    }

    @Test
    void withoutACurrentSpanNothingIsCapturedAndTheHandlerSpanHasNoLink() throws Exception {
        String c = customer();
        Build queued = honua.buildQueue().enqueue(tracing.captureContext(NewBuild.builder(c)).build());
        assertThat(queued.traceParent()).isEmpty();
        assertThat(queued.traceState()).isEmpty();
        assertThat(HonuaTracing.enqueueContext(queued)).isEmpty();
        // an unsampled enqueuer is stored with its flags: the link tells the backend it was not recorded
        Span unsampled = Span.wrap(SpanContext.create("1af7651916cd43dd8448eb211c80319c", "c7ad6b7169203331",
                TraceFlags.getDefault(), TraceState.getDefault()));
        Build second = honua.buildQueue().enqueue(tracing.captureContext(Context.root().with(unsampled), NewBuild.builder(c)).build());
        assertThat(second.traceParent()).contains("00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-00");

        try (BuildWorker w = worker("otel-w3", (build, ctx) -> Completion.builder(Duration.ofMillis(1)).build())) {
            await(() -> status(queued.id()) == BuildStatus.COMPLETED && status(second.id()) == BuildStatus.COMPLETED);
        }
        SpanData plain = spans("process build_queue").stream()
                .filter(s -> queued.id().toString().equals(s.getAttributes().get(HonuaTracing.BUILD_ID))).findFirst().orElseThrow();
        assertThat(plain.getLinks()).isEmpty();
        SpanData linked = spans("process build_queue").stream()
                .filter(s -> second.id().toString().equals(s.getAttributes().get(HonuaTracing.BUILD_ID))).findFirst().orElseThrow();
        assertThat(linked.getLinks()).singleElement().satisfies(l -> assertThat(l.getSpanContext().isSampled()).isFalse());
    }
}
