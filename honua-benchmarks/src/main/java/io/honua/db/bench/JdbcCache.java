package io.honua.db.bench;

import static io.honua.db.bench.BenchState.instant;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The cache baseline: the same SQL the library's BuildCache sends, through plain JDBC PreparedStatements on the same
 * pool, with rows read into a plain record (both sides pay for materialising the entry).
 */
final class JdbcCache {

    static final String CUSTOMER = "bench-cache";
    static final int ENTRIES = 10_000;

    /** Every column the library's CacheEntry carries, read with the same Java types. */
    record Entry(UUID id, String manifestHash, String tier, String imageReference, String imageDigest, long imageSizeBytes,
                 int layerCount, int buildDurationSeconds, String createdBy, long hitCount, Instant lastHitAt, Instant expiresAt,
                 Instant createdAt, Instant updatedAt) {
    }

    /** One access to log, as the library's AccessEvent. */
    record Access(String customerId, String manifestHash, String tier, boolean hit, Instant at) {
    }

    private final HikariDataSource ds;

    JdbcCache(HikariDataSource ds) {
        this.ds = ds;
    }

    /** {@code cache_lookup}, as BuildCache.lookup calls it. */
    Entry lookup(String customer, String hash, String tier) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT * FROM cache_lookup(?, ?, ?)")) {
            ps.setString(1, customer);
            ps.setString(2, hash);
            ps.setString(3, tier);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                return new Entry((UUID) rs.getObject("id"), rs.getString("manifest_hash"), rs.getString("tier"),
                        rs.getString("image_reference"), rs.getString("image_digest"), rs.getLong("image_size_bytes"),
                        rs.getInt("layer_count"), rs.getInt("build_duration_seconds"), rs.getString("created_by_customer_id"),
                        rs.getLong("hit_count"), instant(rs, "last_hit_at"), instant(rs, "expires_at"), instant(rs, "created_at"),
                        instant(rs, "updated_at"));
            }
        }
    }

    /** {@code record_cache_access}, as BuildCache.record calls it: one log row in its own transaction. */
    long record(String customer, String hash, String tier, boolean hit) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return record(c, customer, hash, tier, hit);
        }
    }

    static long record(Connection c, String customer, String hash, String tier, boolean hit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT record_cache_access(?, ?, ?, ?)")) {
            ps.setString(1, customer);
            ps.setString(2, hash);
            ps.setString(3, tier);
            ps.setBoolean(4, hit);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** {@code record_cache_accesses} with column arrays, the statement the recorder sends per batch. */
    int recordBatch(List<Access> batch) throws SQLException {
        int n = batch.size();
        String[] customers = new String[n];
        String[] hashes = new String[n];
        String[] tiers = new String[n];
        Boolean[] hits = new Boolean[n];
        Long[] at = new Long[n];
        for (int i = 0; i < n; i++) {
            Access a = batch.get(i);
            customers[i] = a.customerId();
            hashes[i] = a.manifestHash();
            tiers[i] = a.tier();
            hits[i] = a.hit();
            at[i] = a.at().toEpochMilli();
        }
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT record_cache_accesses(?, ?, ?, ?, ?, ?)")) {
            ps.setObject(1, UUID.randomUUID());
            ps.setArray(2, c.createArrayOf("text", customers));
            ps.setArray(3, c.createArrayOf("text", hashes));
            ps.setArray(4, c.createArrayOf("text", tiers));
            ps.setArray(5, c.createArrayOf("bool", hits));
            ps.setArray(6, c.createArrayOf("int8", at));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return n - ((Integer[]) rs.getArray(1).getArray()).length;
            }
        }
    }

    /** The benchmark customer (enterprise license) and {@link #ENTRIES} standard-tier entries: key i = sha256(i). */
    static void ensureData(HikariDataSource ds) {
        BenchData.ensureCustomer(ds, CUSTOMER);
        BenchState.exec(ds, "INSERT INTO licenses (customer_id, tier, status, license_key_hash, license_key_encrypted, "
                + "encryption_key_id) SELECT '" + CUSTOMER + "', 'enterprise', 'active', encode(sha256('bench-cache-license'::bytea), 'hex'), "
                + "'\\x00'::bytea, 'bench' WHERE NOT EXISTS (SELECT 1 FROM licenses WHERE customer_id = '" + CUSTOMER + "')");
        BenchState.exec(ds, "INSERT INTO build_cache_registry (manifest_hash, tier, image_reference, image_digest, image_size_bytes, "
                + "layer_count, build_duration_seconds, created_by_customer_id) "
                + "SELECT encode(sha256(i::text::bytea), 'hex'), 'standard', 'registry.example/bench:' || i, 'sha256:' || i, "
                + "100000000, 12, 300, '" + CUSTOMER + "' FROM generate_series(1, " + ENTRIES + ") i ON CONFLICT DO NOTHING");
        // every fork starts with nothing left for autovacuum to do and no dirty pages (see AnalyticsData.ensure)
        BenchState.exec(ds, "VACUUM ANALYZE build_cache_registry");
        BenchState.exec(ds, "CHECKPOINT");
    }

    /** Key i (1-based) of the benchmark entries. */
    static String hash(int i) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Integer.toString(i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
