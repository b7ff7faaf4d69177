package io.honua.db.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testkit.PostgresProvisioning;
import io.honua.db.testkit.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The whole schema applies on PostgreSQL 15, 16, 17 and 18: each major is started from its Maven Central binaries
 * (copied to target/pg-binaries by the build) and migrated from empty, then migrated again (a no-op).
 */
class EveryPostgresVersionTest {

    static Stream<Path> binaries() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target/pg-binaries"))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("binaries")
    void migrationsApplyCleanly(Path jar) {
        String expectedMajor = jar.getFileName().toString().replaceAll(".*-(\\d+)\\.\\d+\\.\\d+\\.jar", "$1");
        try (PostgresServer server = PostgresProvisioning.startEmbedded(jar)) {
            server.createDatabase("honua_matrix", Optional.empty());
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(server.jdbcUrl("honua_matrix"));
            ds.setUser(server.user());
            HonuaMigrations migrations = HonuaMigrations.forDataSource(ds);
            ServerInfo info = migrations.validateConnection();
            assertThat(info.versionNumber() / 10000).isEqualTo(Integer.parseInt(expectedMajor));
            MigrationReport report = migrations.migrate();
            assertThat(report.applied()).hasSizeGreaterThanOrEqualTo(6);
            assertThat(migrations.migrate().upToDate()).isTrue();
            partitionUpkeepWorks(ds);
        }
    }

    /** V8 on this major: a stray row moves out of DEFAULT into a new partition (identity column, triggers, FKs). */
    private static void partitionUpkeepWorks(PGSimpleDataSource ds) {
        try (java.sql.Connection c = ds.getConnection(); java.sql.Statement s = c.createStatement()) {
            s.execute("INSERT INTO build_access_log (customer_id, manifest_hash, tier, access_type, accessed_at) "
                    + "VALUES ('matrix', repeat('a', 64), 'free', 'hit', now() + interval '2 years')");
            try (java.sql.ResultSet rs = s.executeQuery(
                    "SELECT count(*), coalesce(sum(rows_moved), 0) FROM maintain_partitions() WHERE action = 'created'")) {
                rs.next();
                assertThat(rs.getLong(1)).as("partitions created").isGreaterThanOrEqualTo(13);
                assertThat(rs.getLong(2)).as("stray rows moved").isEqualTo(1);
            }
            s.execute("INSERT INTO build_access_log (customer_id, manifest_hash, tier, access_type, accessed_at) "
                    + "VALUES ('matrix', repeat('a', 64), 'free', 'miss', now() + interval '2 years')");
            try (java.sql.ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM build_access_log_default), "
                    + "(SELECT sum(hits + misses) FROM cache_access_daily WHERE customer_id = 'matrix'), "
                    + "(SELECT count(*) FROM maintain_partitions())")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
                assertThat(rs.getLong(2)).isEqualTo(2);
                assertThat(rs.getLong(3)).as("second run idempotent").isZero();
            }
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }
}
