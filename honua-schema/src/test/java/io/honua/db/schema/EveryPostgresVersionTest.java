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
        }
    }
}
