package io.honua.db.operations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/** Operations and health() against the real database, as the owner and as honua_worker / honua_app. */
class OperationsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withWorkerPool(3).withAppPool(2);

    static HonuaDb owner;
    static DSLContext admin;

    @BeforeAll
    static void setUp() {
        owner = HonuaDb.builder(fx.db().dataSource()).slowQueryThreshold(Duration.ofHours(1)).build();
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
    }

    // ---- health ------------------------------------------------------------------------------------------------

    @Test
    void healthIsUpWithOneStatementAndReportsTheFacts() {
        long before = owner.slowQueryListener().orElseThrow().stats().statements();
        Health h = owner.operations().health();
        long statements = owner.slowQueryListener().orElseThrow().stats().statements() - before;
        assertThat(statements).isEqualTo(1);
        assertThat(h.status()).as(h.reasons().toString()).isEqualTo(Health.Status.UP);
        assertThat(h.reasons()).isEmpty();
        String newest = admin.resultQuery("SELECT version FROM flyway_schema_history WHERE version IS NOT NULL "
                + "ORDER BY string_to_array(version, '.')::numeric[] DESC LIMIT 1").fetchOne(0, String.class);
        assertThat(h.schemaVersion()).contains(newest);
        assertThat(h.expectedSchemaVersion()).contains(newest);
        assertThat(h.serverVersion()).hasValueSatisfying(v -> assertThat(v).startsWith(
                admin.resultQuery("SHOW server_version").fetchOne(0, String.class)));
        assertThat(h.standby()).contains(false);
        assertThat(h.roundTrip()).hasValueSatisfying(d -> assertThat(d).isPositive());
        assertThat(h.pool()).isEmpty();   // not a Hikari pool
    }

    @Test
    void healthReadsTheHikariPoolAndWorksForBothRoles() {
        Health w = fx.worker().operations().health();
        assertThat(w.isUp()).as(w.reasons().toString()).isTrue();
        assertThat(w.pool()).hasValueSatisfying(p -> {
            assertThat(p.maximum()).isEqualTo(3);
            assertThat(p.exhausted()).isFalse();
        });
        Health a = HonuaDb.create(fx.appPool()).operations().health();
        assertThat(a.isUp()).as(a.reasons().toString()).isTrue();
    }

    @Test
    void exhaustedPoolIsDownWithoutWaitingForAConnection() throws Exception {
        try (HikariDataSource small = Fixtures.workerPool(fx.db(), 2)) {
            HonuaDb honua = HonuaDb.create(small);
            List<Connection> held = new ArrayList<>();
            try {
                held.add(small.getConnection());
                held.add(small.getConnection());
                long start = System.nanoTime();
                Health h = honua.operations().health();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                assertThat(h.status()).isEqualTo(Health.Status.DOWN);
                assertThat(h.reasons()).singleElement().asString().contains("pool exhausted");
                assertThat(h.pool()).hasValueSatisfying(p -> assertThat(p.active()).isEqualTo(2));
                assertThat(h.roundTrip()).isEmpty();
            } finally {
                for (Connection c : held) {
                    c.close();
                }
            }
            assertThat(honua.operations().health().isUp()).isTrue();
        }
    }

    @Test
    void unreachableServerIsDownNotAnException() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();   // closed again: nothing listens there
        }
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL("jdbc:postgresql://127.0.0.1:" + port + "/honua");
        ds.setUser("nobody");
        ds.setConnectTimeout(2);
        Health h = HonuaDb.create(ds).operations().health();
        assertThat(h.status()).isEqualTo(Health.Status.DOWN);
        assertThat(h.reasons()).singleElement().asString().startsWith("database unavailable");
        assertThat(h.serverVersion()).isEmpty();
        assertThat(h.schemaVersion()).isEmpty();
    }

    @Test
    void schemaBehindAndFailedMigrationsAreDown() {
        String newest = owner.operations().expectedSchemaVersion().orElseThrow();
        // as if the newest migration had not run: take its history row away, then put it back
        var row = admin.resultQuery("SELECT installed_rank FROM flyway_schema_history WHERE version = ?", newest).fetchOne(0, Integer.class);
        admin.execute("UPDATE flyway_schema_history SET version = NULL WHERE installed_rank = ?", row);
        try {
            Health h = owner.operations().health();
            assertThat(h.status()).isEqualTo(Health.Status.DOWN);
            assertThat(h.reasons()).singleElement().asString().contains("schema behind").contains("needs " + newest);
            assertThat(h.schemaVersion()).hasValueSatisfying(v -> assertThat(v).isNotEqualTo(newest));
        } finally {
            admin.execute("UPDATE flyway_schema_history SET version = ? WHERE installed_rank = ?", newest, row);
        }
        admin.execute("UPDATE flyway_schema_history SET success = false WHERE installed_rank = ?", row);
        try {
            Health h = fx.worker().operations().health();
            assertThat(h.status()).isEqualTo(Health.Status.DOWN);
            assertThat(h.failedMigrations()).isEqualTo(1);
            assertThat(String.join(" | ", h.reasons())).contains("1 failed migration");
        } finally {
            admin.execute("UPDATE flyway_schema_history SET success = true WHERE installed_rank = ?", row);
        }
        assertThat(owner.operations().health().isUp()).isTrue();
    }

    @Test
    void unmigratedDatabaseIsDown() throws Exception {
        admin.execute("ALTER FUNCTION honua_health() RENAME TO honua_health_away");
        try {
            Health h = owner.operations().health();
            assertThat(h.status()).isEqualTo(Health.Status.DOWN);
            assertThat(h.reasons()).singleElement().asString().contains("schema not migrated");
        } finally {
            admin.execute("ALTER FUNCTION honua_health_away() RENAME TO honua_health");
        }
    }

    @Test
    void versionsCompareNumerically() {
        assertThat(ShippedMigrations.compare("9", "12")).isNegative();
        assertThat(ShippedMigrations.compare("12", "12.0")).isZero();
        assertThat(ShippedMigrations.compare("12.1", "12")).isPositive();
        assertThat(ShippedMigrations.compare("15", "2.9")).isPositive();
    }

    @Test
    void badTimeoutIsRefused() {
        assertThatThrownBy(() -> owner.operations().health(Duration.ofMillis(10))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> owner.operations().health(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> owner.operations().sessions(Duration.ofSeconds(-1))).isInstanceOf(InvalidRequestException.class);
    }

    // ---- sizes, bloat, vacuum ----------------------------------------------------------------------------------

    @Test
    void sizesMatchTheCatalogAndPartitionsRollUp() {
        long dbSize = fx.worker().operations().databaseSize();
        assertThat(dbSize).isEqualTo(admin.resultQuery("SELECT pg_database_size(current_database())").fetchOne(0, Long.class));

        admin.execute("INSERT INTO customers (customer_id, name) VALUES ('ops-size', 'x') ON CONFLICT DO NOTHING");
        admin.execute("INSERT INTO build_queue (customer_id) SELECT 'ops-size' FROM generate_series(1, 2000)");
        admin.execute("INSERT INTO build_events (build_id, event_type) SELECT id, 'queued' FROM build_queue WHERE customer_id = 'ops-size'");
        List<RelationSize> sizes = fx.worker().operations().relationSizes();
        RelationSize queue = sizes.stream().filter(r -> r.name().equals("build_queue")).findFirst().orElseThrow();
        assertThat(queue.kind()).isEqualTo("table");
        assertThat(queue.totalBytes()).isEqualTo(admin.resultQuery("SELECT pg_total_relation_size('build_queue')").fetchOne(0, Long.class));
        assertThat(queue.tableBytes() + queue.indexBytes()).isEqualTo(queue.totalBytes());

        RelationSize events = sizes.stream().filter(r -> r.name().equals("build_events")).findFirst().orElseThrow();
        List<RelationSize> parts = sizes.stream().filter(r -> r.parent().filter(p -> p.equals("build_events")).isPresent()).toList();
        assertThat(events.kind()).isEqualTo("partitioned table");
        assertThat(parts).isNotEmpty().allSatisfy(p -> assertThat(p.kind()).isEqualTo("partition"));
        assertThat(events.partitions()).isEqualTo(parts.size());
        assertThat(events.totalBytes()).isEqualTo(parts.stream().mapToLong(RelationSize::totalBytes).sum()).isPositive();

        List<IndexSize> indexes = fx.worker().operations().indexSizes();
        IndexSize pk = indexes.stream().filter(i -> i.index().equals("build_queue_pkey")).findFirst().orElseThrow();
        assertThat(pk.primary()).isTrue();
        assertThat(pk.bytes()).isEqualTo(admin.resultQuery("SELECT pg_relation_size('build_queue_pkey')").fetchOne(0, Long.class));
    }

    @Test
    void deadTuplesBloatAndVacuumTimesAreReported() {
        admin.execute("CREATE TABLE ops_churn (id int PRIMARY KEY, v text)");
        admin.execute("ALTER TABLE ops_churn SET (autovacuum_enabled = false)");
        admin.execute("INSERT INTO ops_churn SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
        admin.execute("DELETE FROM ops_churn WHERE id <= 4000");
        admin.execute("ANALYZE ops_churn");
        // the statistics system publishes counters at transaction end (and on 15+ every second at most): wait for them
        TableMaintenance t = awaitTable("ops_churn", x -> x.deadTuples() >= 4000 && x.lastAnalyze().isPresent());
        assertThat(t.liveTuples()).isEqualTo(1000);
        assertThat(t.deadRatio()).isEqualTo(0.8);
        assertThat(t.estimatedBloatBytes()).isEqualTo(Math.round(t.tableBytes() * 0.8));
        assertThat(t.lastVacuum()).isEmpty();
        admin.execute("VACUUM ops_churn");
        TableMaintenance after = awaitTable("ops_churn", x -> x.lastVacuum().isPresent());
        assertThat(after.deadTuples()).isZero();
        assertThat(after.vacuumCount()).isEqualTo(1);
        assertThat(after.estimatedBloatBytes()).isZero();
        admin.execute("DROP TABLE ops_churn");
    }

    private static TableMaintenance awaitTable(String name, java.util.function.Predicate<TableMaintenance> ready) {
        TableMaintenance last = null;
        for (int i = 0; i < 100; i++) {
            last = fx.worker().operations().tableMaintenance().stream().filter(x -> x.table().equals(name)).findFirst().orElse(null);
            if (last != null && ready.test(last)) {
                return last;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("statistics of " + name + " not as expected: " + last);
    }

    @Test
    void unusedIndexesAreTheUnscannedOnesThatEnforceNothing() {
        admin.execute("CREATE TABLE ops_idx (id int PRIMARY KEY, a int, b int, CONSTRAINT ops_idx_b UNIQUE (b))");
        admin.execute("CREATE INDEX ops_idx_a ON ops_idx (a)");
        admin.execute("CREATE INDEX ops_idx_used ON ops_idx (a, b)");
        admin.execute("INSERT INTO ops_idx SELECT g, g, g FROM generate_series(1, 1000) g");
        admin.execute("ANALYZE ops_idx");
        try (Connection c = fx.db().dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("SET enable_seqscan = off");
            s.executeQuery("SELECT b FROM ops_idx WHERE a = 5 AND b = 5").close();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        List<String> unused = null;
        for (int i = 0; i < 50; i++) {
            unused = fx.worker().operations().unusedIndexes().stream().filter(u -> u.table().equals("ops_idx")).map(UnusedIndex::index).toList();
            if (!unused.contains("ops_idx_used")) {
                break;
            }
            sleep(100);
        }
        assertThat(unused).containsExactly("ops_idx_a");
        assertThat(fx.worker().operations().unusedIndexes()).filteredOn(u -> u.index().equals("ops_idx_a")).singleElement()
                .satisfies(u -> assertThat(u.definition()).contains("CREATE INDEX ops_idx_a"));
        admin.execute("DROP TABLE ops_idx");
    }

    // ---- sessions, xmin, connections ---------------------------------------------------------------------------

    @Test
    void idleInTransactionSessionIsSeenByTheOwnerNotByTheWorker() throws Exception {
        try (Connection idle = fx.db().dataSource().getConnection(); Statement s = idle.createStatement()) {
            idle.setAutoCommit(false);
            s.execute("SET application_name = 'ops-idle-tx'");
            s.executeQuery("SELECT txid_current(), count(*) FROM customers").close();
            int pid;
            try (var rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            sleep(1200);

            List<Session> seen = owner.operations().idleInTransaction(Duration.ofSeconds(1));
            assertThat(seen).filteredOn(x -> x.pid() == pid).singleElement().satisfies(x -> {
                assertThat(x.state()).isEqualTo("idle in transaction");
                assertThat(x.applicationName()).contains("ops-idle-tx");
                assertThat(x.transactionAge()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
                assertThat(x.xminAge()).isPresent();
                assertThat(x.query()).contains("pg_backend_pid");
            });
            assertThat(owner.operations().longRunningQueries(Duration.ofSeconds(1))).noneMatch(x -> x.pid() == pid);
            // the worker role is no member of the owner's role nor of pg_read_all_stats: the session's details are hidden
            assertThat(fx.worker().operations().sessions(Duration.ZERO)).noneMatch(x -> x.pid() == pid);
            // ... but its snapshot holds the xmin horizon, which every role sees
            XminHorizon xmin = fx.worker().operations().xminHorizon();
            assertThat(xmin.oldestSessionXminAge()).hasValueSatisfying(a -> assertThat(a).isPositive());
            assertThat(xmin.databaseFrozenXidAge()).isPositive();
            assertThat(xmin.oldest()).isPresent();

            ConnectionUsage byOwner = owner.operations().connectionUsage();
            ConnectionUsage byWorker = fx.worker().operations().connectionUsage();
            assertThat(byOwner.byState()).containsKey("idle in transaction").doesNotContainKey("unknown");
            assertThat(byOwner.maximum()).isEqualTo(admin.resultQuery("SHOW max_connections").fetchOne(0, Integer.class));
            assertThat(byOwner.used()).isGreaterThanOrEqualTo(2).isLessThanOrEqualTo(byOwner.maximum());
            assertThat(byWorker.byState()).containsKey("unknown");   // the owner's sessions, state hidden
            assertThat(byWorker.byState().get("active")).isGreaterThanOrEqualTo(1);   // its own statement
            idle.rollback();
        }
    }

    @Test
    void longRunningStatementIsListedWithItsQuery() throws Exception {
        Thread sleeper = Thread.ofVirtual().start(() -> {
            try (Connection c = fx.workerPool().getConnection(); Statement s = c.createStatement()) {
                s.execute("SELECT pg_sleep(3) /* ops-long */");
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        sleep(1500);
        // the worker sees its own role's sessions
        List<Session> longOnes = fx.worker().operations().longRunningQueries(Duration.ofSeconds(1));
        assertThat(longOnes).anySatisfy(x -> {
            assertThat(x.query()).contains("ops-long");
            assertThat(x.role()).contains(Fixtures.WORKER_LOGIN);
            assertThat(x.active()).isTrue();
        });
        sleeper.join();
    }

    @Test
    void theAppRoleMayNotCallTheOperationsFunctions() {
        HonuaDb app = HonuaDb.create(fx.appPool());
        assertThatThrownBy(() -> app.operations().databaseSize()).isInstanceOf(io.honua.db.core.HonuaException.class)
                .hasMessageContaining("permission denied");
        assertThatThrownBy(() -> app.operations().sessions(Duration.ZERO)).isInstanceOf(io.honua.db.core.HonuaException.class);
        List<String> publicExecutable = admin.resultQuery(
                "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'honua\\_%' "
                        + "AND p.proname IN ('honua_health','honua_database_size','honua_relation_sizes','honua_index_sizes',"
                        + "'honua_table_maintenance','honua_sessions','honua_xmin_horizon','honua_unused_indexes','honua_connection_usage') "
                        + "AND (has_function_privilege('public', p.oid, 'EXECUTE') OR p.proconfig IS NULL "
                        + "OR NOT p.proconfig @> ARRAY['search_path=pg_catalog, public, pg_temp'])").fetch(0, String.class);
        assertThat(publicExecutable).isEmpty();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
