package io.honua.db.schema;

import java.util.List;
import java.util.Optional;

/**
 * Outcome of {@link HonuaMigrations#migrate()}: the schema version before and after, and the migrations applied in
 * between, in the order they ran. {@code applied} is empty when the schema was already current.
 */
public record MigrationReport(Optional<String> previousVersion, Optional<String> currentVersion, List<AppliedMigration> applied) {

    public MigrationReport {
        applied = List.copyOf(applied);
    }

    /** True when nothing had to be applied. */
    public boolean upToDate() {
        return applied.isEmpty();
    }
}
