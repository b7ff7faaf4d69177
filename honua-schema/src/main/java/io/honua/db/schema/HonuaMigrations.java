package io.honua.db.schema;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.api.output.ValidateOutput;
import org.flywaydb.core.api.output.ValidateResult;

/**
 * Brings a database to the Honua schema at service start-up, over the service's own {@link DataSource}.
 *
 * <pre>{@code
 * HonuaMigrations migrations = HonuaMigrations.forDataSource(dataSource);
 * migrations.validateConnection();                 // throws MigrationException when unusable
 * MigrationReport report = migrations.migrate();   // applies what is pending, in version order
 * report.applied().forEach(m -> log.info("{} {} ({} ms)", m.version(), m.description(), m.executionTime().toMillis()));
 * }</pre>
 *
 * <p>Guarantees: migrations are applied in version order, each in its own transaction, and recorded in
 * {@code flyway_schema_history}; calling {@link #migrate()} again (from this or another instance, also concurrently:
 * Flyway serialises on a lock) applies nothing. Before anything is applied, every already applied migration is
 * compared with the copy shipped in this jar; a difference raises {@link ChecksumMismatchException} and the database
 * is left untouched. The schema is never cleaned or dropped by this class.
 *
 * <p>Quiet: the connections Flyway uses run with {@code client_min_messages = warning} (reset before they go back to
 * the pool), so the notices of {@code DROP ... IF EXISTS} do not reach the log, nor do result tables of the migrations'
 * {@code SELECT}s; Flyway logs one line per applied migration, a few header lines, and warnings and errors as before.
 */
public final class HonuaMigrations {

    /** Where the migrations live inside the {@code honua-schema} jar. */
    public static final String LOCATION = "classpath:db/migration";

    /** Oldest PostgreSQL the schema supports. */
    public static final int MINIMUM_SERVER_VERSION = 150000;

    private static final Pattern APPLIED = Pattern.compile("Applied to database\\s*:\\s*(-?\\d+)");
    private static final Pattern RESOLVED = Pattern.compile("Resolved locally\\s*:\\s*(-?\\d+)");

    private final DataSource dataSource;
    private final Flyway flyway;

    private HonuaMigrations(DataSource dataSource, String... locations) {
        this.dataSource = dataSource;
        this.flyway = Flyway.configure(HonuaMigrations.class.getClassLoader())
                .dataSource(QuietConnections.of(dataSource))
                .outputQueryResults(false) // no result tables of the migrations' SELECTs in the log
                .locations(locations)
                .failOnMissingLocations(true)
                .cleanDisabled(true)
                .load();
    }

    /** Migrations of this jar, applied through {@code dataSource} (which needs DDL rights). */
    public static HonuaMigrations forDataSource(DataSource dataSource) {
        return new HonuaMigrations(Objects.requireNonNull(dataSource, "dataSource"), LOCATION);
    }

    /** Same, with other Flyway locations ({@code classpath:...} or {@code filesystem:...}); for tests and tools. */
    public static HonuaMigrations forDataSource(DataSource dataSource, String... locations) {
        Objects.requireNonNull(dataSource, "dataSource");
        if (locations.length == 0) {
            throw new IllegalArgumentException("at least one location");
        }
        return new HonuaMigrations(dataSource, locations);
    }

    /**
     * Connects once and checks the server is a PostgreSQL the schema supports.
     *
     * @throws MigrationException when the server cannot be reached or is older than PostgreSQL 15
     */
    public ServerInfo validateConnection() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), current_setting('server_version_num')::int,"
                     + " current_database(), current_user")) {
            rs.next();
            ServerInfo info = new ServerInfo(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4));
            if (info.versionNumber() < MINIMUM_SERVER_VERSION) {
                throw new MigrationException("PostgreSQL " + info.version() + " is too old: Honua DB needs PostgreSQL 15 or newer");
            }
            return info;
        } catch (SQLException e) {
            throw new MigrationException("cannot connect to the database: " + e.getMessage(), e);
        }
    }

    /** Version of the newest applied migration, or empty on a database that has never been migrated. */
    public Optional<String> currentVersion() {
        try {
            MigrationInfo[] applied = flyway.info().applied();
            for (int i = applied.length - 1; i >= 0; i--) {
                if (applied[i].getVersion() != null && applied[i].getState().isApplied() && !applied[i].getState().isFailed()) {
                    return Optional.of(applied[i].getVersion().getVersion());
                }
            }
            return Optional.empty();
        } catch (FlywayException e) {
            throw new MigrationException("cannot read the schema history: " + e.getMessage(), e);
        }
    }

    /** Migrations shipped in this jar but not yet applied, in the order {@link #migrate()} would apply them. */
    public List<PendingMigration> pending() {
        try {
            return java.util.Arrays.stream(flyway.info().pending())
                    .map(i -> new PendingMigration(versionOf(i.getVersion()), i.getDescription(), i.getScript()))
                    .toList();
        } catch (FlywayException e) {
            throw new MigrationException("cannot read the schema history: " + e.getMessage(), e);
        }
    }

    /**
     * Applies every pending migration.
     *
     * @return what was applied, with each migration's execution time; empty when the schema was already current
     * @throws ChecksumMismatchException when an applied migration differs from the one in this jar (nothing applied)
     * @throws MigrationException        when a migration fails (that migration is rolled back; earlier ones stay)
     */
    public MigrationReport migrate() {
        checkChecksums();
        try {
            Optional<String> before = currentVersion();
            MigrateResult result = flyway.migrate();
            List<AppliedMigration> applied = result.migrations.stream()
                    .map(m -> new AppliedMigration(m.version == null ? "" : m.version, m.description, fileName(m.filepath), Duration.ofMillis(m.executionTime)))
                    .toList();
            return new MigrationReport(before, currentVersion(), applied);
        } catch (FlywayException e) {
            throw new MigrationException("migration failed: " + e.getMessage(), e);
        }
    }

    private static String versionOf(org.flywaydb.core.api.MigrationVersion v) {
        return v == null ? "" : v.getVersion();
    }

    private static String fileName(String path) {
        if (path == null) {
            return "";
        }
        int slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
        return path.substring(slash + 1);
    }

    private void checkChecksums() {
        ValidateResult result;
        try {
            result = flyway.validateWithResult();
        } catch (FlywayException e) {
            throw new MigrationException("cannot validate the schema history: " + e.getMessage(), e);
        }
        if (result.validationSuccessful || result.invalidMigrations == null) {
            return;
        }
        List<ChecksumMismatch> mismatches = result.invalidMigrations.stream()
                .filter(o -> o.errorDetails != null && o.errorDetails.errorCode == CoreErrorCode.CHECKSUM_MISMATCH)
                .map(HonuaMigrations::mismatch)
                .toList();
        if (!mismatches.isEmpty()) {
            throw new ChecksumMismatchException(mismatches);
        }
    }

    private static ChecksumMismatch mismatch(ValidateOutput o) {
        String message = o.errorDetails.errorMessage == null ? "" : o.errorDetails.errorMessage;
        return new ChecksumMismatch(o.version, o.description, group(APPLIED, message), group(RESOLVED, message));
    }

    private static String group(Pattern p, String message) {
        Matcher m = p.matcher(message);
        return m.find() ? m.group(1) : "unknown";
    }
}
