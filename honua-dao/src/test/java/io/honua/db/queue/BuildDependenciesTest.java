package io.honua.db.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.HonuaDb;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.queue.DependencyGraph.Direction;
import io.honua.db.testing.HonuaFixture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BuildDependenciesTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(2);

    static DSLContext admin;

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        for (String c : List.of("dep-a", "dep-b")) {
            admin.execute("INSERT INTO customers (customer_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", c, c);
        }
    }

    static UUID enqueue(String customer, UUID... deps) {
        NewBuild.Builder b = NewBuild.builder(customer);
        for (UUID d : deps) {
            b.dependsOn(d);
        }
        return fx.honua().buildQueue().enqueue(b.build()).id();
    }

    /** Asserts that every node comes after every node it needs (edges among the listed nodes and the root). */
    static void assertTopological(DependencyGraph g) {
        List<UUID> order = new ArrayList<>(g.ids());
        if (g.direction() == Direction.DEPENDENCIES) {
            order.add(g.root());          // the root needs everything: last
        } else {
            order.add(0, g.root());       // everything needs the root: first
        }
        Map<UUID, Integer> pos = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            pos.put(order.get(i), i);
        }
        var edges = admin.resultQuery("SELECT build_id, depends_on_build_id FROM build_dependencies").fetch();
        int checked = 0;
        for (var e : edges) {
            UUID needs = e.get(0, UUID.class);
            UUID needed = e.get(1, UUID.class);
            if (pos.containsKey(needs) && pos.containsKey(needed)) {
                assertThat(pos.get(needed)).as("%s needs %s", needs, needed).isLessThan(pos.get(needs));
                checked++;
            }
        }
        assertThat(checked).isPositive();
    }

    @Test
    void diamondInBothDirections() {
        UUID base = enqueue("dep-a");
        UUID left = enqueue("dep-a", base);
        UUID right = enqueue("dep-a", base);
        UUID top = enqueue("dep-a", left, right);
        UUID extra = enqueue("dep-a", base, top);   // a shortcut: base is both 1 and 3 levels below extra

        DependencyGraph up = fx.honua().buildDependencies().dependencies(extra);
        assertThat(up.root()).isEqualTo(extra);
        assertThat(up.rootStatus()).isEqualTo(BuildStatus.QUEUED);
        assertThat(up.truncated()).isFalse();
        assertThat(up.nodes()).extracting(DependencyNode::buildId).containsExactlyInAnyOrder(base, left, right, top);
        assertThat(up.nodes().get(0)).isEqualTo(new DependencyNode(base, 3, BuildStatus.QUEUED, "dep-a"));  // longest path
        assertThat(up.nodes().get(3).buildId()).isEqualTo(top);
        assertTopological(up);

        DependencyGraph down = fx.honua().buildDependencies().dependents(base);
        assertThat(down.nodes()).extracting(DependencyNode::buildId).containsExactlyInAnyOrder(left, right, top, extra);
        assertThat(down.nodes()).extracting(DependencyNode::depth).containsExactly(1, 1, 2, 3);
        assertThat(down.nodes().get(3).buildId()).isEqualTo(extra);
        assertTopological(down);

        assertThat(fx.honua().buildDependencies().dependencies(base).nodes()).isEmpty();
        assertThat(fx.honua().buildDependencies().dependents(extra).nodes()).isEmpty();
    }

    @Test
    void longChainIsWalkedWholeOrCutWhereAsked() {
        int n = 400;
        List<UUID> chain = new ArrayList<>();
        chain.add(enqueue("dep-b"));
        for (int i = 1; i < n; i++) {
            chain.add(enqueue("dep-b", chain.get(i - 1)));
        }
        DependencyGraph all = fx.honua().buildDependencies().dependencies(chain.get(n - 1));
        assertThat(all.truncated()).isFalse();
        assertThat(all.nodes()).hasSize(n - 1);
        assertThat(all.ids()).isEqualTo(chain.subList(0, n - 1));               // build order: the first link first
        assertThat(all.nodes().get(0).depth()).isEqualTo(n - 1);
        assertTopological(all);

        DependencyGraph down = fx.honua().buildDependencies().dependents(chain.get(0));
        assertThat(down.ids()).isEqualTo(chain.subList(1, n));

        DependencyGraph shallow = fx.honua().buildDependencies().graph(chain.get(n - 1), Direction.DEPENDENCIES, 10, 1000);
        assertThat(shallow.truncated()).isTrue();
        assertThat(shallow.nodes()).extracting(DependencyNode::depth).containsExactly(10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
        DependencyGraph limited = fx.honua().buildDependencies().graph(chain.get(0), Direction.DEPENDENTS, 1000, 5);
        assertThat(limited.truncated()).isTrue();
        assertThat(limited.ids()).isEqualTo(chain.subList(1, 6));
        DependencyGraph exact = fx.honua().buildDependencies().graph(chain.get(0), Direction.DEPENDENTS, n - 1, n - 1);
        assertThat(exact.truncated()).isFalse();
        assertThat(exact.nodes()).hasSize(n - 1);
    }

    @Test
    void aCycleThatSlippedInStillEnds() {
        UUID x = enqueue("dep-a");
        UUID y = enqueue("dep-a", x);
        UUID z = enqueue("dep-a", y);
        // the insert trigger refuses cycles; bypass it (the replica role skips triggers) to prove the walk ends anyway
        insertEdgeBypassingTriggers(x, z);   // z -> y -> x -> z: back to the root
        try {
            DependencyGraph g = fx.honua().buildDependencies().graph(z, Direction.DEPENDENCIES, 50, 100);
            assertThat(g.ids()).containsExactly(x, y);
            assertThat(g.truncated()).isFalse();
        } finally {
            admin.execute("DELETE FROM build_dependencies WHERE build_id = ? AND depends_on_build_id = ?", x, z);
        }
        insertEdgeBypassingTriggers(x, y);   // x <-> y below the root: the longest path has no end
        try {
            DependencyGraph g = fx.honua().buildDependencies().graph(z, Direction.DEPENDENCIES, 50, 100);
            assertThat(g.truncated()).isTrue();
            assertThat(g.ids()).isSubsetOf(x, y);
            assertThat(g.nodes()).allSatisfy(n -> assertThat(n.depth()).isLessThanOrEqualTo(50));
        } finally {
            admin.execute("DELETE FROM build_dependencies WHERE build_id = ? AND depends_on_build_id = ?", x, y);
        }
    }

    private static void insertEdgeBypassingTriggers(UUID build, UUID dependsOn) {
        admin.connection(c -> {
            DSLContext one = DSL.using(c, SQLDialect.POSTGRES);
            one.execute("SET session_replication_role = replica");
            try {
                one.execute("INSERT INTO build_dependencies (build_id, depends_on_build_id) VALUES (?, ?)", build, dependsOn);
            } finally {
                one.execute("RESET session_replication_role");
            }
        });
    }

    @Test
    void unknownBuildsBadArgumentsAndTenancy() {
        assertThatThrownBy(() -> fx.honua().buildDependencies().dependencies(UUID.randomUUID())).isInstanceOf(UnknownBuildException.class);
        assertThatThrownBy(() -> fx.honua().buildDependencies().dependencies(null)).isInstanceOf(InvalidRequestException.class);
        UUID a = enqueue("dep-a");
        assertThatThrownBy(() -> fx.honua().buildDependencies().graph(a, Direction.DEPENDENTS, 0, 10)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> fx.honua().buildDependencies().graph(a, null, 10, 10)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> fx.honua().buildDependencies().graph(a, Direction.DEPENDENTS, 10, 0)).isInstanceOf(InvalidRequestException.class);

        UUID child = enqueue("dep-a", a);
        HonuaDb app = HonuaDb.create(fx.appPool());
        assertThat(app.forTenant("dep-a").buildDependencies().dependents(a).ids()).containsExactly(child);
        assertThatThrownBy(() -> app.forTenant("dep-b").buildDependencies().dependents(a)).isInstanceOf(UnknownBuildException.class);
    }
}
