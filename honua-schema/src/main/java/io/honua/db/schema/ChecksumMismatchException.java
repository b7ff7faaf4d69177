package io.honua.db.schema;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A migration was changed after it was applied. Never edit an applied migration: add a new one. Nothing was applied
 * when this is thrown.
 */
public final class ChecksumMismatchException extends MigrationException {

    private static final long serialVersionUID = 1L;

    private final transient List<ChecksumMismatch> mismatches;

    ChecksumMismatchException(List<ChecksumMismatch> mismatches) {
        super(mismatches.stream()
                .map(m -> "Migration " + m.version() + " (" + m.description() + ") checksum mismatch! Expected: "
                        + m.appliedChecksum() + ", Found: " + m.resolvedChecksum())
                .collect(Collectors.joining("; "))
                + ". Applied migrations must never be modified; add a new migration instead.");
        this.mismatches = List.copyOf(mismatches);
    }

    public List<ChecksumMismatch> mismatches() {
        return mismatches;
    }
}
