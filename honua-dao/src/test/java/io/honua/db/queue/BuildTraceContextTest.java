package io.honua.db.queue;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.ENQUEUE_BUILDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.internal.Tenancy;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The W3C trace context of the enqueuing request (issue 14): stored with the build by {@link BuildQueue#enqueue},
 * returned by enqueue and claim, validated in Java and by the column's CHECK constraint.
 */
class BuildTraceContextTest {

    static final String PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    static final String STATE = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4,
            ds -> HonuaDb.builder(ds).queueOptions(QueueOptions.DEFAULTS.withLease(Duration.ofSeconds(30))).build());

    final BuildQueue queue = fx.honua().buildQueue();

    @BeforeEach
    void emptyQueue() {
        fx.dsl().deleteFrom(BUILD_QUEUE).execute();
    }

    private static int builds() {
        return fx.dsl().fetchCount(BUILD_QUEUE);
    }

    @Test
    void theTraceContextIsStoredAndComesBackFromEnqueueAndClaim() {
        String c = Fixtures.newCustomer(fx.honua());
        Build queued = queue.enqueue(NewBuild.builder(c).traceParent(PARENT).traceState(STATE).build());
        assertThat(queued.traceParent()).contains(PARENT);
        assertThat(queued.traceState()).contains(STATE);

        var row = fx.dsl().selectFrom(BUILD_QUEUE).where(BUILD_QUEUE.ID.eq(queued.id())).fetchSingle();
        assertThat(row.getTraceParent()).isEqualTo(PARENT);
        assertThat(row.getTraceState()).isEqualTo(STATE);

        assertThat(queue.claim("w1", 1)).singleElement().satisfies(b -> {
            assertThat(b.id()).isEqualTo(queued.id());
            assertThat(b.traceParent()).contains(PARENT);
            assertThat(b.traceState()).contains(STATE);
        });
    }

    @Test
    void aBatchKeepsEachBuildsOwnContextAndBuildsWithoutOneHaveNone() {
        String c = Fixtures.newCustomer(fx.honua());
        String other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        List<Build> queued = queue.enqueueAll(List.of(
                NewBuild.builder(c).traceParent(PARENT).build(),
                NewBuild.builder(c).build(),
                NewBuild.builder(c).traceParent(other).traceState("k=v").build()));
        assertThat(queued.get(0).traceParent()).contains(PARENT);
        assertThat(queued.get(0).traceState()).isEmpty();
        assertThat(queued.get(1).traceParent()).isEmpty();
        assertThat(queued.get(1).traceState()).isEmpty();
        assertThat(queued.get(2).traceParent()).contains(other);
        assertThat(queued.get(2).traceState()).contains("k=v");
        assertThat(fx.dsl().fetchCount(BUILD_QUEUE, BUILD_QUEUE.TRACE_PARENT.isNull())).isEqualTo(1);
    }

    @Test
    void theApplicationRoleMayStoreATraceContext() {
        String c = Fixtures.newCustomer(fx.honua());
        try (HikariDataSource app = Fixtures.appPool(fx.db(), 2)) {
            HonuaDb asApp = HonuaDb.create(app);
            Build b = Tenancy.inTenant(asApp.dsl(), c,
                    tx -> asApp.buildQueue().enqueue(tx, NewBuild.builder(c).traceParent(PARENT).traceState(STATE).build()));
            assertThat(b.traceParent()).contains(PARENT);
        }
        assertThat(fx.dsl().fetchValue(BUILD_QUEUE.TRACE_PARENT)).isEqualTo(PARENT);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",                  // no flags
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",               // unknown version
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",               // forbidden version
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",               // uppercase
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",               // all-zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",               // all-zero span id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",         // trailing data
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",                // short trace id
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})             // whitespace
    void anInvalidTraceParentIsATypedErrorAndNothingIsStored(String traceparent) {
        String c = Fixtures.newCustomer(fx.honua());
        assertThatThrownBy(() -> queue.enqueue(NewBuild.builder(c).traceParent(traceparent).build()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("traceParent");
        assertThat(builds()).isZero();
    }

    @Test
    void anInvalidTraceStateIsATypedErrorAndNothingIsStored() {
        String c = Fixtures.newCustomer(fx.honua());
        assertThatThrownBy(() -> NewBuild.builder(c).traceState(STATE).build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("needs a traceParent");
        assertThatThrownBy(() -> NewBuild.builder(c).traceParent(PARENT).traceState("k=" + "v".repeat(511)).build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("512");
        assertThatThrownBy(() -> NewBuild.builder(c).traceParent(PARENT).traceState("k=v\u00e9").build())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("printable ASCII");
        assertThatThrownBy(() -> NewBuild.builder(c).traceParent(PARENT).traceState("").build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewBuild.builder(c).traceParent(null))
                .isInstanceOf(InvalidRequestException.class);
        // the longest accepted tracestate is stored whole
        String longest = "k=" + "v".repeat(510);
        Build b = queue.enqueue(NewBuild.builder(c).traceParent(PARENT).traceState(longest).build());
        assertThat(b.traceState()).contains(longest);
        assertThat(builds()).isOne();
    }

    @Test
    void theColumnRejectsWhatTheJavaCheckRejectsEvenWhenTheFunctionIsCalledDirectly() {
        String c = Fixtures.newCustomer(fx.honua());
        for (String[] bad : new String[][] {
                {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", null},
                {"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", null},
                {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", null},
                {"garbage", null},
                {null, "k=v"},                         // a tracestate without a traceparent
                {PARENT, "k=" + "v".repeat(600)},      // too long
                {PARENT, "k=v\n"}}) {                   // not printable
            assertThatThrownBy(() -> fx.dsl().selectFrom(ENQUEUE_BUILDS.call(new String[] {c}, new Integer[] {5},
                    new UUID[] {null}, new String[] {null}, new String[] {null}, new Long[] {null}, new Integer[] {null},
                    new Integer[] {null}, new String[] {null}, new String[] {null}, new String[] {null}, 1000L, false,
                    new String[] {bad[0]}, new String[] {bad[1]})).fetch())
                    .as("%s / %s", bad[0], bad[1])
                    .isInstanceOf(DataAccessException.class)
                    .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("23514"));
        }
        assertThat(builds()).isZero();
        // the old 13-argument call (without trace arrays) still works: the new parameters default to NULL
        assertThat(fx.dsl().fetchValue(DSL.field("(SELECT count(*) FROM public.enqueue_builds(ARRAY[?], ARRAY[5], "
                + "ARRAY[NULL::uuid], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::bigint], ARRAY[NULL::integer], "
                + "ARRAY[NULL::integer], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::text], 1000, false))",
                Long.class, c))).isEqualTo(1L);
        assertThat(fx.dsl().fetchValue(BUILD_QUEUE.TRACE_PARENT)).isNull();
    }
}
