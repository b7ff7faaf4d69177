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

    private static final Pattern REPEATABLE = Pattern.compile("R__(.+)\\.sql");

    /** The repeatable migrations (current function bodies per capability), in Flyway's order: by description. */
    static List<String> shippedRepeatables() throws IOException {
        try (var files = Files.list(Path.of("src/main/resources/db/migration"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> REPEATABLE.matcher(n).matches()).sorted().toList();
        }
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
            List<String> repeatables = shippedRepeatables();
            assertThat(repeatables).contains("R__queue.sql", "R__cache.sql", "R__audit_tenancy.sql");
            List<String> all = new ArrayList<>(scripts);
            all.addAll(repeatables);
            assertThat(migrations.pending()).extracting(PendingMigration::script).containsExactlyElementsOf(all);
            assertThat(migrations.pending()).filteredOn(m -> m.script().startsWith("R__")).allSatisfy(m -> assertThat(m.version()).isEmpty());

            MigrationReport report = migrations.migrate();

            assertThat(report.previousVersion()).isEmpty();
            assertThat(report.applied()).extracting(AppliedMigration::script).containsExactlyElementsOf(all);
            assertThat(report.applied()).allSatisfy(m -> assertThat(m.executionTime()).isGreaterThanOrEqualTo(java.time.Duration.ZERO));
            String last = SCRIPT.matcher(scripts.getLast()).replaceAll("$1");
            assertThat(report.currentVersion()).contains(last);
            assertThat(migrations.currentVersion()).contains(last);
            assertThat(migrations.pending()).isEmpty();
            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select count(*) from flyway_schema_history where success")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(all.size());
            }
        }
    }

    /** A reader finds the current body of any function in exactly one file: its capability's repeatable migration. */
    @Test
    void everyFunctionBodyLivesInExactlyOneRepeatableMigration() throws Exception {
        Path dir = Path.of("src/main/resources/db/migration");
        Pattern create = Pattern.compile("(?i)CREATE\\s+(OR\\s+REPLACE\\s+)?FUNCTION\\s+(public\\.)?([a-z_0-9]+)\\s*\\(");
        java.util.Map<String, List<String>> definedIn = new java.util.HashMap<>();
        for (String r : shippedRepeatables()) {
            Matcher m = create.matcher(Files.readString(dir.resolve(r)));
            while (m.find()) {
                definedIn.computeIfAbsent(m.group(3), k -> new ArrayList<>()).add(r);
            }
        }
        for (String v : shippedScripts()) {
            int version = Integer.parseInt(SCRIPT.matcher(v).replaceAll("$1"));
            if (version > 12) {   // V1..V12 are applied history; later versioned migrations hold no function bodies
                assertThat(create.matcher(Files.readString(dir.resolve(v))).find()).as(v + " defines a function").isFalse();
            }
        }
        try (TestDatabase db = TestDatabase.migrated("one_body"); Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("""
                     select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                      where n.nspname = 'public'
                        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')""")) {
            int functions = 0;
            while (rs.next()) {
                functions++;
                String name = rs.getString(1);
                assertThat(definedIn.getOrDefault(name, List.of())).as("files defining " + name).hasSize(1);
            }
            assertThat(functions).isGreaterThan(60);
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
