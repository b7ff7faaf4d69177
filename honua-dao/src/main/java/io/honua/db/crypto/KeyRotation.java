package io.honua.db.crypto;

import static io.honua.db.schema.generated.Tables.ENCRYPTED_ROWS_NOT_UNDER_KEY;
import static io.honua.db.schema.generated.Tables.ENCRYPTION_KEY_USAGE;

import io.honua.db.internal.Tenancy;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Transactions;
import io.honua.db.schema.generated.tables.records.EncryptedRowsNotUnderKeyRecord;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Result;

/**
 * The re-encryption loop shared by the DAOs that store envelope ciphertexts ({@code licenses},
 * {@code registry_credentials}): finds the rows not yet under the new key id (in id order, through the
 * {@code encrypted_rows_not_under_key} function, so it also works once row-level security is on), and re-encrypts
 * them chunk by chunk, one transaction per chunk, each row under its own tenant setting. A crash loses at most the
 * current chunk, which the next run picks up again: rotation is idempotent and resumable. Rows that do not decrypt
 * are skipped and reported, never half-written. Progress is logged (System.Logger "io.honua.db.crypto").
 */
public final class KeyRotation {

    private static final System.Logger LOG = System.getLogger("io.honua.db.crypto");

    /** Re-encrypts one row (already locked by the caller's statement) under the new key id; false when it vanished. */
    @FunctionalInterface
    public interface RowReencryption {
        boolean reencrypt(DSLContext tx, UUID id, String oldKeyId);
    }

    private KeyRotation() {
    }

    public static RotationReport run(DSLContext dsl, KeyProvider keys, String table, String newKeyId, int chunkSize,
                                     RowReencryption row) {
        Checks.text(newKeyId, "newKeyId", 200);
        Checks.range(chunkSize, 1, 10_000, "chunkSize");
        if (!keys.hasKey(newKeyId)) {
            throw new UnknownKeyException("key provider has no key " + newKeyId + "; nothing was re-encrypted");
        }
        long start = System.nanoTime();
        List<UUID> failed = new ArrayList<>();
        int done = 0;
        int chunks = 0;
        UUID after = null;
        while (true) {
            Result<EncryptedRowsNotUnderKeyRecord> todo =
                    ENCRYPTED_ROWS_NOT_UNDER_KEY(dsl.configuration(), table, newKeyId, after, chunkSize);
            if (todo.isEmpty()) {
                break;
            }
            int[] chunkDone = {0};
            List<UUID> chunkFailed = new ArrayList<>();
            Transactions.inTransaction(dsl, tx -> {
                for (EncryptedRowsNotUnderKeyRecord r : todo) {
                    Tenancy.inTenant(tx, r.getCustomerId(), t -> {
                        try {
                            if (row.reencrypt(t, r.getId(), r.getEncryptionKeyId())) {
                                chunkDone[0]++;
                            }
                        } catch (DecryptionException | UnknownKeyException e) {
                            chunkFailed.add(r.getId());
                            LOG.log(Level.WARNING, "key rotation: {0} row {1} under key {2} not re-encrypted: {3}",
                                    table, r.getId(), r.getEncryptionKeyId(), e.getMessage());
                        }
                        return null;
                    });
                }
                return null;
            });
            done += chunkDone[0];
            failed.addAll(chunkFailed);
            chunks++;
            after = todo.get(todo.size() - 1).getId();
            LOG.log(Level.INFO, "key rotation: {0} chunk {1}: {2} rows re-encrypted under {3}", table, chunks, chunkDone[0], newKeyId);
        }
        RotationReport report = new RotationReport(table, newKeyId, done, chunks, failed, Duration.ofNanos(System.nanoTime() - start));
        LOG.log(Level.INFO, "key rotation of {0} to {1} finished: {2} re-encrypted, {3} failed, {4} chunks",
                table, newKeyId, done, failed.size(), chunks);
        return report;
    }

    /** How many rows each key id protects, per table ({@code table -> keyId -> rows}); no secrets. */
    public static Map<String, Map<String, Long>> keyUsage(DSLContext dsl) {
        Map<String, Map<String, Long>> usage = new TreeMap<>();
        ENCRYPTION_KEY_USAGE(dsl.configuration()).forEach(r ->
                usage.computeIfAbsent(r.getTableName(), t -> new TreeMap<>()).put(r.getEncryptionKeyId(), r.getRowCount()));
        return usage;
    }
}
