package io.honua.db.testing;

import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static io.honua.db.schema.generated.Tables.LICENSES;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.testkit.HonuaDatabase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import org.jooq.DSLContext;

/** Test data helpers shared by the DAO tests; they write through the generated classes. */
public final class Fixtures {

    private Fixtures() {
    }

    public static HikariDataSource pool(HonuaDatabase db, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setPoolName("test-" + size);
        return new HikariDataSource(config);
    }

    public static String customer(DSLContext dsl, String id) {
        dsl.insertInto(CUSTOMERS)
                .set(CUSTOMERS.CUSTOMER_ID, id)
                .set(CUSTOMERS.NAME, "Customer " + id)
                .set(CUSTOMERS.SUBSCRIPTION_STATUS, "active")
                .set(CUSTOMERS.TIER, "professional")
                .execute();
        return id;
    }

    public static String newCustomer(HonuaDb honua) {
        return customer(honua.dsl(), "c-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** An active license with the given concurrency cap. */
    public static UUID license(DSLContext dsl, String customerId, int maxConcurrentBuilds) {
        return dsl.insertInto(LICENSES)
                .set(LICENSES.CUSTOMER_ID, customerId)
                .set(LICENSES.TIER, "professional")
                .set(LICENSES.STATUS, "active")
                .set(LICENSES.LICENSE_KEY_HASH, sha256(UUID.randomUUID().toString()))
                .set(LICENSES.LICENSE_KEY_ENCRYPTED, new byte[] {1, 2, 3})
                .set(LICENSES.ENCRYPTION_KEY_ID, "test-key")
                .set(LICENSES.MAX_BUILDS_PER_MONTH, 100_000)
                .set(LICENSES.MAX_REGISTRIES, 10)
                .set(LICENSES.MAX_CONCURRENT_BUILDS, maxConcurrentBuilds)
                .returning(LICENSES.ID)
                .fetchOne(LICENSES.ID);
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
