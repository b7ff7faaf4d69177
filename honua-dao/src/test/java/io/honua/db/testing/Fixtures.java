package io.honua.db.testing;

import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static io.honua.db.schema.generated.Tables.LICENSES;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.crypto.KeyProvider;
import io.honua.db.schema.generated.tables.records.LicensesRecord;
import io.honua.db.testkit.HonuaDatabase;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.InsertSetMoreStep;

/** Test data helpers shared by the DAO tests; they write through the generated classes. */
public final class Fixtures {

    private Fixtures() {
    }

    public static HikariDataSource pool(HonuaDatabase db, int size) {
        return new HikariDataSource(poolConfig(db, size, "test-" + size));
    }

    /** The owner-role pool settings of {@link #pool}, for tests that tune them further (timeouts, application name). */
    public static HikariConfig poolConfig(HonuaDatabase db, int size, String name) {
        return poolConfig(db.jdbcUrl(), db.user(), db.password(), size, name);
    }

    /** {@link #poolConfig(HonuaDatabase, int, String)} for a database of a server of the test's own. */
    public static HikariConfig poolConfig(String jdbcUrl, String user, String password, int size, String name) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setPoolName(name);
        return config;
    }

    /** Login role of the tests that run as the application role {@code honua_app} (member of it, nothing else). */
    public static final String APP_LOGIN = "honua_it_app";
    /** Login role of the tests that run as the service role {@code honua_worker}. */
    public static final String WORKER_LOGIN = "honua_it_worker";

    /** Login role of the tests that run as the administrative role {@code honua_admin}. */
    public static final String ADMIN_LOGIN = "honua_it_admin";

    /** A pool whose connections log in as {@value #ADMIN_LOGIN}: customers, tiers, licenses, API keys (issue 12). */
    public static HikariDataSource adminPool(HonuaDatabase db, int size) {
        return rolePool(db, size, ADMIN_LOGIN, "honua_admin");
    }

    /** A pool whose connections log in as {@value #APP_LOGIN}: tenant-scoped by row-level security. */
    public static HikariDataSource appPool(HonuaDatabase db, int size) {
        return rolePool(db, size, APP_LOGIN, "honua_app");
    }

    /** A pool whose connections log in as {@value #WORKER_LOGIN}: the cross-tenant service role. */
    public static HikariDataSource workerPool(HonuaDatabase db, int size) {
        return rolePool(db, size, WORKER_LOGIN, "honua_worker");
    }

    private static HikariDataSource rolePool(HonuaDatabase db, int size, String login, String group) {
        ensureLoginRole(db, login, group);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setUsername(login);
        config.setPassword(login);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setPoolName(login + "-" + size);
        return new HikariDataSource(config);
    }

    /**
     * Creates the login role (cluster-wide) as a member of {@code group} unless it exists. Race-safe: test JVMs of
     * other modules may do the same at the same moment.
     */
    public static synchronized void ensureLoginRole(HonuaDatabase db, String login, String group) {
        DSLContext admin = org.jooq.impl.DSL.using(db.dataSource(), org.jooq.SQLDialect.POSTGRES);
        for (int attempt = 0; ; attempt++) {
            try {
                admin.execute("DO $$ BEGIN "
                        + "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + login + "') THEN "
                        + "CREATE ROLE " + login + " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT PASSWORD '" + login + "' IN ROLE " + group + "; "
                        + "END IF; "
                        + "IF NOT pg_has_role('" + login + "', '" + group + "', 'MEMBER') THEN GRANT " + group + " TO " + login + "; END IF; "
                        + "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
                return;
            } catch (org.jooq.exception.DataAccessException e) {
                // "tuple concurrently updated" on the shared catalogs: another JVM is creating the same role
                if (attempt >= 5) {
                    throw e;
                }
                try {
                    Thread.sleep(50L * (attempt + 1));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
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

    /**
     * A {@link HonuaDb} over the same data source as {@code honua} with {@code keys} as its key provider (the key
     * provider is given once, to the builder: a second provider means a second {@code HonuaDb}).
     */
    public static HonuaDb withKeys(HonuaDb honua, KeyProvider keys) {
        return HonuaDb.builder(honua.dataSource()).keyProvider(keys).build();
    }

    public static String newCustomer(HonuaDb honua) {
        return customer(honua.dsl(), "c-" + UUID.randomUUID().toString().substring(0, 8));
    }

    /** An active license with the given concurrency cap. */
    public static UUID license(DSLContext dsl, String customerId, int maxConcurrentBuilds) {
        return licenseRow(dsl, customerId, "professional", "active")
                .set(LICENSES.MAX_BUILDS_PER_MONTH, 100_000)
                .set(LICENSES.MAX_REGISTRIES, 10)
                .set(LICENSES.MAX_CONCURRENT_BUILDS, maxConcurrentBuilds)
                .returning(LICENSES.ID)
                .fetchOne(LICENSES.ID);
    }

    /**
     * The insert of a license of {@code customerId} with a fresh key hash and a dummy encrypted key, for the caller
     * to add columns to, execute or return from.
     */
    public static InsertSetMoreStep<LicensesRecord> licenseRow(DSLContext dsl, String customerId, String tier, String status) {
        return dsl.insertInto(LICENSES)
                .set(LICENSES.CUSTOMER_ID, customerId)
                .set(LICENSES.TIER, tier)
                .set(LICENSES.STATUS, status)
                .set(LICENSES.LICENSE_KEY_HASH, sha256(UUID.randomUUID().toString()))
                .set(LICENSES.LICENSE_KEY_ENCRYPTED, new byte[] {1, 2, 3})
                .set(LICENSES.ENCRYPTION_KEY_ID, "test-key");
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
