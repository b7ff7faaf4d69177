package io.honua.db.crypto;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Outcome of re-encrypting one table's secrets under a new key id.
 *
 * @param table       the table rotated
 * @param newKeyId    the key id every re-encrypted row now references
 * @param reencrypted rows re-encrypted and committed
 * @param chunks      transactions committed (one per chunk)
 * @param failed      rows left under their old key because they did not decrypt (wrong key, tampered, unknown key
 *                    id), in id order; empty when the rotation is complete
 * @param elapsed     wall-clock time of the rotation
 */
public record RotationReport(String table, String newKeyId, int reencrypted, int chunks, List<UUID> failed, Duration elapsed) {

    public RotationReport {
        failed = List.copyOf(failed);
    }

    /** True when no row of the table is left under another key id. */
    public boolean complete() {
        return failed.isEmpty();
    }
}
