package io.honua.db.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.testkit.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

class HonuaMigrationsTest {

    private static final Pattern SCRIPT = Pattern.compile("V(\\d+)__(.+)\\.sql");

    /** The migration scripts in the jar, read from the classpath index so the test never hard-codes the list. */
    static List<String> shippedScripts() throws IOException {
        List<String> names = new ArrayList<>();
        Path dir = Path.of("src/main/resources/db/migration");
        try (var files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> SCRIPT.matcher(n).matches()).forEach(names::add);
        }
        names.sort(Comparator.comparingInt(n -> {
            Matcher m = SCRIPT.matcher(n);
            m.matches();
            return Integer.parseInt(m.group(1));
        }));
        return names;
    }

    @Test
    void everyMigrationAppliesOnAnEmptyDatabaseInOrder() throws Exception {
        try (TestDatabase db = TestDatabase.empty("migrate_empty")) {
            HonuaMigrations migrations = HonuaMigrations.forDataSource(db.dataSource());
            ServerInfo server = migrations.validateConnection();
            assertThat(server.versionNumber()).isGreaterThanOrEqualTo(150000);
            assertThat(server.database()).isEqualTo(db.name());
            assertThat(migrations.currentVersion()).isEmpty();
            List<String> scripts = shippedScripts();
            assertThat(scripts).hasSizeGreaterThanOrEqualTo(5)
                    .startsWith("V1__initial_schema.sql", "V2__build_queue.sql", "V3__intake_system.sql", "V4__indexes.sql", "V5__functions.sql");
            assertThat(migrations.pending()).extracting(PendingMigration::script).containsExactlyElementsOf(scripts);

            MigrationReport report = migrations.migrate();

            assertThat(report.previousVersion()).isEmpty();
            assertThat(report.applied()).extracting(AppliedMigration::script).containsExactlyElementsOf(scripts);
            assertThat(report.applied()).allSatisfy(m -> assertThat(m.executionTime()).isGreaterThanOrEqualTo(java.time.Duration.ZERO));
            String last = SCRIPT.matcher(scripts.getLast()).replaceAll("$1");
            assertThat(report.currentVersion()).contains(last);
            assertThat(migrations.currentVersion()).contains(last);
            assertThat(migrations.pending()).isEmpty();
            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select count(*) from flyway_schema_history where success")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(scripts.size());
            }
        }
    }

    @Test
    void migratingTwiceIsANoOp() {
        try (TestDatabase db = TestDatabase.empty("migrate_twice")) {
            HonuaMigrations migrations = HonuaMigrations.forDataSource(db.dataSource());
            MigrationReport first = migrations.migrate();
            MigrationReport second = migrations.migrate();
            assertThat(first.upToDate()).isFalse();
            assertThat(second.upToDate()).isTrue();
            assertThat(second.previousVersion()).isEqualTo(first.currentVersion());
            assertThat(second.currentVersion()).isEqualTo(first.currentVersion());
        }
    }

    @Test
    void aChangedAppliedMigrationIsRefusedAndNothingIsApplied(@TempDir Path dir) throws Exception {
        List<String> scripts = shippedScripts();
        for (String s : scripts.subList(0, 3)) {
            copy(s, dir);
        }
        try (TestDatabase db = TestDatabase.empty("checksum")) {
            HonuaMigrations migrations = HonuaMigrations.forDataSource(db.dataSource(), "filesystem:" + dir);
            assertThat(migrations.migrate().applied()).hasSize(3);

            // someone edits an applied migration and adds a new one
            Files.writeString(dir.resolve(scripts.get(1)), "\n-- edited after it was applied\n", java.nio.file.StandardOpenOption.APPEND);
            copy(scripts.get(3), dir);

            assertThatThrownBy(migrations::migrate)
                    .isInstanceOf(ChecksumMismatchException.class)
                    .hasMessageContaining("Migration 2 (build queue) checksum mismatch! Expected: ")
                    .hasMessageContaining("never be modified")
                    .satisfies(e -> assertThat(((ChecksumMismatchException) e).mismatches())
                            .singleElement()
                            .satisfies(m -> {
                                assertThat(m.version()).isEqualTo("2");
                                assertThat(m.appliedChecksum()).isNotEqualTo(m.resolvedChecksum()).isNotEqualTo("unknown");
                            }));
            assertThat(migrations.currentVersion()).contains("3");
        }
    }

    @Test
    void anUnreachableDatabaseIsAClearError() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl("jdbc:postgresql://127.0.0.1:1/nothing");
        ds.setConnectTimeout(2);
        assertThatThrownBy(() -> HonuaMigrations.forDataSource(ds).validateConnection())
                .isInstanceOf(MigrationException.class)
                .hasMessageStartingWith("cannot connect to the database");
        assertThatThrownBy(() -> HonuaMigrations.forDataSource(null)).isInstanceOf(NullPointerException.class);
    }

    private static void copy(String script, Path dir) throws IOException {
        try (InputStream in = HonuaMigrationsTest.class.getResourceAsStream("/db/migration/" + script)) {
            assertThat(in).as(script).isNotNull();
            Files.copy(in, dir.resolve(script));
        }
    }
}
