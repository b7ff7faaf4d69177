package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link BuildWorker.Builder#interceptor}: every handler run happens inside {@link WorkerInterceptor#handle} on the
 * build's thread, and every claim, complete and fail statement inside the matching method, with the builds concerned.
 */
class WorkerInterceptorTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(8);

    /** Records what it saw; marks the thread while a handler runs inside it. */
    static final class Recording implements WorkerInterceptor {
        static final ThreadLocal<UUID> INSIDE = new ThreadLocal<>();
        final Map<UUID, String> handled = new ConcurrentHashMap<>();   // build -> traceparent seen ("" when none)
        final List<Integer> claimedBatches = new CopyOnWriteArrayList<>();
        final List<UUID> completed = new CopyOnWriteArrayList<>();
        final List<UUID> failed = new CopyOnWriteArrayList<>();
        final List<UUID> notHeld = new CopyOnWriteArrayList<>();

        @Override
        public Completion handle(Build build, BuildContext context, BuildHandler handler) throws Exception {
            handled.put(build.id(), build.traceParent().orElse(""));
            INSIDE.set(build.id());
            try {
                return handler.run(build, context);
            } finally {
                INSIDE.remove();
            }
        }

        @Override
        public List<Build> claim(int limit, Supplier<List<Build>> claim) {
            List<Build> builds = claim.get();
            assertThat(builds.size()).isLessThanOrEqualTo(limit);
            if (!builds.isEmpty()) {
                claimedBatches.add(builds.size());
            }
            return builds;
        }

        @Override
        public BatchResult complete(List<Build> builds, Supplier<BatchResult> complete) {
            return record(builds, complete, completed);
        }

        @Override
        public BatchResult fail(List<Build> builds, Supplier<BatchResult> fail) {
            return record(builds, fail, failed);
        }

        /** Runs the statement, then notes its builds in {@code into} and the ones it did not hold. */
        private BatchResult record(List<Build> builds, Supplier<BatchResult> statement, List<UUID> into) {
            BatchResult r = statement.get();
            builds.forEach(b -> into.add(b.id()));
            notHeld.addAll(r.notHeld());
            return r;
        }
    }

    @Test
    void everyStepRunsInsideTheInterceptorWithTheBuildsItConcerns() throws Exception {
        String c = Fixtures.newCustomer(fx.honua());
        String parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        BuildQueue queue = new BuildQueue(fx.dsl(), QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(10)));
        List<Build> queued = queue.enqueueAll(List.of(
                NewBuild.builder(c).traceParent(parent).build(),
                NewBuild.builder(c).build(),
                NewBuild.builder(c).maxAttempts(1).buildConfig("{\"fail\": true}").build(),
                NewBuild.builder(c).build()));
        UUID failing = queued.get(2).id();
        Set<UUID> ids = queued.stream().map(Build::id).collect(Collectors.toSet());
        Set<UUID> ranInside = ConcurrentHashMap.newKeySet();
        BuildHandler handler = (build, ctx) -> {
            if (build.id().equals(Recording.INSIDE.get())) {
                ranInside.add(build.id());
            }
            if (build.buildConfigJson().contains("fail")) {
                throw new IllegalStateException("boom");
            }
            return Completion.builder(Duration.ofMillis(3)).build();
        };
        Recording rec = new Recording();
        try (BuildWorker worker = BuildWorker.builder(queue, fx.pool(), "intercepted", handler).interceptor(rec)
                .pollInterval(Duration.ofMillis(100)).start()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (worker.completedCount() + worker.failedCount() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        assertThat(ranInside).isEqualTo(ids);
        assertThat(rec.handled).containsOnlyKeys(ids).containsEntry(queued.get(0).id(), parent)
                .containsEntry(queued.get(1).id(), "");
        assertThat(rec.claimedBatches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(4);
        assertThat(rec.completed).containsExactlyInAnyOrderElementsOf(ids.stream().filter(id -> !id.equals(failing)).toList());
        assertThat(rec.failed).containsExactly(failing);
        assertThat(rec.notHeld).isEmpty();
        assertThat(fx.dsl().fetchValue(BUILD_QUEUE.STATUS, BUILD_QUEUE.ID.eq(failing))).isEqualTo("failed");
        assertThat(fx.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.ID.in(ids).and(BUILD_QUEUE.STATUS.eq("completed"))))
                .isEqualTo(3);
    }
}
