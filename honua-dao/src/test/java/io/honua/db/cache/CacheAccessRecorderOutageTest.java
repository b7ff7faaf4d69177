package io.honua.db.cache;

import static io.honua.db.cache.CacheFixtures.customerWithTier;
import static io.honua.db.cache.CacheFixtures.hash;
import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.testkit.HonuaDatabase;
import io.honua.db.types.Tier;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real database outages while the recorder writes. Two kinds, both done to the server, not mocked:
 * <ul>
 *   <li><b>Connections refused</b>: {@code ALTER DATABASE ... ALLOW_CONNECTIONS false} makes the server refuse every
 *       new connection to the test database (SQLSTATE 55000), and {@code pg_terminate_backend} kills the recorder pool's
 *       open connections (identified by their application_name). For the recorder this is the database being down:
 *       no connection can be had until connections are allowed again.</li>
 *   <li><b>Privilege revoked</b>: the recorder runs as a login role whose INSERT on build_access_log is revoked
 *       (42501) and later granted back.</li>
 *   <li><b>Table locked</b>: a competing transaction holds {@code LOCK TABLE build_access_log IN EXCLUSIVE MODE};
 *       the recorder's sessions run with a short {@code lock_timeout}, so every batch fails with 55P03, or the backend
 *       waiting on the lock is terminated mid-batch.</li>
 * </ul>
 */
class CacheAccessRecorderOutageTest {

    private static final String APP = "honua-recorder-under-test";

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(2);

    static HonuaDatabase db;
    static HonuaDb setup;
    static Connection admin;
    /** On the server's maintenance database: a database cannot disallow connections to itself from inside. */
    static Connection serverAdmin;
    static String dbName;

    HikariDataSource recorderPool;
    BuildCache cache;
    String customer;

    @BeforeAll
    static void setUp() throws SQLException {
        db = fx.db();
        setup = fx.honua();
        admin = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        serverAdmin = DriverManager.getConnection(db.jdbcUrl().replaceFirst("(jdbc:postgresql://[^/]+/)[^?]+", "$1postgres"),
                db.user(), db.password());
        try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SELECT current_database()")) {
            rs.next();
            dbName = rs.getString(1);
        }
    }

    @AfterAll
    static void tearDown() throws SQLException {
        allowConnections(true);
        admin.close();
        serverAdmin.close();
    }

    @BeforeEach
    void recorderPool() {
        recorderPool = pool("");
        cache = HonuaDb.create(recorderPool).buildCache();
        customer = customerWithTier(setup, Tier.FREE);
    }

    @AfterEach
    void closePool() throws SQLException {
        allowConnections(true);
        recorderPool.close();
    }

    private static HikariDataSource pool(String initSql) {
        return pool(initSql, db.user(), db.password());
    }

    private static HikariDataSource pool(String initSql, String user, String password) {
        HikariConfig config = Fixtures.poolConfig(db.jdbcUrl(), user, password, 2, "recorder-under-test");
        config.setMinimumIdle(0);
        config.setConnectionTimeout(250);
        config.setValidationTimeout(250);
        config.addDataSourceProperty("ApplicationName", APP);
        if (!initSql.isEmpty()) {
            config.setConnectionInitSql(initSql);
        }
        return new HikariDataSource(config);
    }

    private static void allowConnections(boolean allow) throws SQLException {
        try (Statement st = serverAdmin.createStatement()) {
            st.execute("ALTER DATABASE \"" + dbName + "\" ALLOW_CONNECTIONS " + allow);
        }
    }

    /** Kills every connection of the recorder pool; returns how many. */
    private static int terminateRecorderConnections() throws SQLException {
        try (Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                     + "WHERE datname = current_database() AND application_name = '" + APP + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void await(BooleanSupplier condition, Duration timeout, String what) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private Set<String> loggedHashes() {
        return setup.dsl().select(BUILD_ACCESS_LOG.MANIFEST_HASH).from(BUILD_ACCESS_LOG)
                .where(BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customer)).fetchSet(BUILD_ACCESS_LOG.MANIFEST_HASH);
    }

    private long loggedRows() {
        return setup.dsl().fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(customer));
    }

    /** Records n events, each with its own manifest hash so every row in the log can be matched to its event. */
    private List<String> recordUnique(CacheAccessRecorder recorder, int n) {
        List<String> hashes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String h = hash();
            assertThat(recorder.record(customer, h, Tier.FREE, false)).isTrue();
            hashes.add(h);
        }
        return hashes;
    }

    private static RecorderOptions options(Duration closeTimeout) {
        return RecorderOptions.DEFAULTS.withBatchSize(200).withRetryBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .withCloseTimeout(closeTimeout);
    }

    @Test
    void databaseDownDuringFlushLosesNothingAndWritesAfterRecovery() throws SQLException {
        CacheAccessRecorder recorder = cache.recorder(options(Duration.ofSeconds(60)));
        List<String> expected = new ArrayList<>(recordUnique(recorder, 1_000));
        await(() -> recorder.report().written() == 1_000, Duration.ofSeconds(30), "first 1,000 written");

        allowConnections(false);
        assertThat(terminateRecorderConnections()).as("recorder connections killed").isGreaterThanOrEqualTo(0);
        expected.addAll(recordUnique(recorder, 5_000));
        await(() -> recorder.report().retried() >= 5, Duration.ofSeconds(30), "failing writes being retried");
        assertThat(loggedRows()).as("nothing lands while the database refuses connections").isEqualTo(1_000);
        assertThat(recorder.report().pending()).isEqualTo(5_000);

        allowConnections(true);
        recorder.close();
        RecorderReport report = recorder.report();
        assertThat(report.accepted()).isEqualTo(6_000);
        assertThat(report.written()).isEqualTo(6_000);
        assertThat(report.retried()).isGreaterThanOrEqualTo(5);
        assertThat(report.unwritten()).isEmpty();
        assertThat(loggedRows()).isEqualTo(6_000);
        assertThat(loggedHashes()).isEqualTo(new HashSet<>(expected));
    }

    @Test
    void anOutageLastingPastCloseIsReportedExactly() throws SQLException {
        CacheAccessRecorder recorder = cache.recorder(options(Duration.ofSeconds(1)));
        List<String> all = new ArrayList<>(recordUnique(recorder, 500));
        await(() -> recorder.report().written() == 500, Duration.ofSeconds(30), "first 500 written");

        allowConnections(false);
        terminateRecorderConnections();
        all.addAll(recordUnique(recorder, 3_000));
        recorder.close(); // gives up after 1 s of failed retries
        RecorderReport report = recorder.report();
        assertThat(report.accepted()).isEqualTo(3_500);
        assertThat(report.pending()).isZero();
        assertThat(report.written() + report.unwritten().size()).as("every accepted event accounted for once").isEqualTo(3_500);
        assertThat(report.failed()).isEqualTo(report.unwritten().size());
        assertThat(report.written()).isEqualTo(500);
        assertThat(report.unwritten()).allMatch(u -> u.reason() == UnwrittenEvent.Reason.NOT_WRITTEN
                || u.reason() == UnwrittenEvent.Reason.IN_DOUBT);

        allowConnections(true);
        Set<String> unwrittenHashes = new HashSet<>();
        report.unwritten().forEach(u -> unwrittenHashes.add(u.event().manifestHash()));
        assertThat(unwrittenHashes).hasSize(3_000);
        Set<String> logged = loggedHashes();
        assertThat(logged).hasSize(500).doesNotContainAnyElementsOf(unwrittenHashes);

        // the report is enough to finish the job exactly once: re-send each batch under its id
        Map<UUID, List<AccessEvent>> batches = new LinkedHashMap<>();
        report.unwritten().forEach(u -> batches.computeIfAbsent(u.batchId(), k -> new ArrayList<>()).add(u.event()));
        BuildCache direct = setup.buildCache();
        for (var b : batches.entrySet()) {
            for (int from = 0; from < b.getValue().size(); from += 1_000) {
                List<AccessEvent> chunk = b.getValue().subList(from, Math.min(b.getValue().size(), from + 1_000));
                assertThat(direct.recordBatch(from == 0 ? b.getKey() : UUID.randomUUID(), chunk)).isEmpty();
            }
        }
        assertThat(loggedHashes()).isEqualTo(new HashSet<>(all));
        assertThat(loggedRows()).isEqualTo(3_500);
    }

    @Test
    void aBatchWhoseConnectionIsKilledMidWriteIsRetriedAndWrittenOnce() throws SQLException {
        CacheAccessRecorder recorder = cache.recorder(options(Duration.ofSeconds(60)));
        try (Connection blocker = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                st.execute("LOCK TABLE build_access_log IN EXCLUSIVE MODE");
            }
            List<String> expected = recordUnique(recorder, 1_000);
            // wait until the writer's INSERT is stuck behind the lock, then kill its backend mid-statement
            await(() -> waitingOnLock() > 0, Duration.ofSeconds(30), "writer blocked on the lock");
            assertThat(terminateRecorderConnections()).isGreaterThanOrEqualTo(1);
            await(() -> recorder.report().retried() >= 1, Duration.ofSeconds(30), "killed batch retried");
            blocker.rollback();
            recorder.close();
            RecorderReport report = recorder.report();
            assertThat(report.written()).isEqualTo(1_000);
            assertThat(report.unwritten()).isEmpty();
            assertThat(loggedRows()).isEqualTo(1_000);
            assertThat(loggedHashes()).isEqualTo(new HashSet<>(expected));
        }
    }

    @Test
    void lockTimeoutsAreRetriedUntilTheLockIsReleased() throws Exception {
        HikariDataSource impatient = pool("SET lock_timeout = '100ms'");
        try {
            // the library's session limits (issue 12) would replace the pool's lock_timeout: give it the same 100 ms
            CacheAccessRecorder recorder = HonuaDb.builder(impatient)
                    .sessionLimits(io.honua.db.core.SessionLimits.DEFAULTS.withLockTimeout(Duration.ofMillis(100))).build()
                    .buildCache().recorder(options(Duration.ofSeconds(60)));
            try (Connection blocker = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
                blocker.setAutoCommit(false);
                try (Statement st = blocker.createStatement()) {
                    st.execute("LOCK TABLE build_access_log IN EXCLUSIVE MODE");
                }
                List<String> expected = recordUnique(recorder, 2_000);
                await(() -> recorder.report().retried() >= 5, Duration.ofSeconds(30), "lock timeouts retried");
                assertThat(recorder.report().written()).isZero();
                blocker.rollback();
                recorder.close();
                RecorderReport report = recorder.report();
                assertThat(report.written()).isEqualTo(2_000);
                assertThat(report.unwritten()).isEmpty();
                assertThat(loggedHashes()).isEqualTo(new HashSet<>(expected));
                assertThat(loggedRows()).isEqualTo(2_000);
            }
        } finally {
            impatient.close();
        }
    }

    @Test
    void aRevokedInsertPrivilegeIsRetriedUntilGrantedBack() throws Exception {
        // superusers bypass privileges: the recorder runs as its own login role here
        String role = "honua_rec_" + UUID.randomUUID().toString().substring(0, 8);
        exec("CREATE ROLE " + role + " LOGIN PASSWORD 'recorder-pw'");
        HikariDataSource asRole = null;
        try {
            // the recorder writes for every tenant: it runs as a member of the service role honua_worker, whose
            // privileges (and row-level security policies) it inherits
            exec("GRANT honua_worker TO " + role);
            asRole = pool("", role, "recorder-pw");
            CacheAccessRecorder recorder = HonuaDb.create(asRole).buildCache().recorder(options(Duration.ofSeconds(60)));
            List<String> expected = new ArrayList<>(recordUnique(recorder, 500));
            assertThat(recorder.flush(Duration.ofSeconds(30))).isTrue();
            assertThat(loggedRows()).isEqualTo(500);

            exec("REVOKE INSERT ON build_access_log FROM honua_worker");
            expected.addAll(recordUnique(recorder, 2_000));
            await(() -> recorder.report().retried() >= 3, Duration.ofSeconds(30), "permission errors retried");
            assertThat(loggedRows()).isEqualTo(500);
            assertThat(recorder.report().unwritten()).isEmpty();

            exec("GRANT INSERT ON build_access_log TO honua_worker");
            recorder.close();
            RecorderReport report = recorder.report();
            assertThat(report.written()).isEqualTo(2_500);
            assertThat(report.unwritten()).isEmpty();
            assertThat(loggedRows()).isEqualTo(2_500);
            assertThat(loggedHashes()).isEqualTo(new HashSet<>(expected));
        } finally {
            if (asRole != null) {
                asRole.close();
            }
            exec("GRANT INSERT ON build_access_log TO honua_worker");
            // (no DROP OWNED: it owns nothing and holds no grant of its own, and a non-superuser migration owner may not
            // run DROP OWNED for a role it is not a member of; DROP ROLE removes the membership)
            exec("DROP ROLE " + role);
        }
    }

    private static void exec(String sql) throws SQLException {
        try (Statement st = admin.createStatement()) {
            st.execute(sql);
        }
    }

    private static int waitingOnLock() {
        try (Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     + "AND application_name = '" + APP + "' AND wait_event_type = 'Lock'")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
