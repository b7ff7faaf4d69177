package io.honua.db.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.honua.db.HonuaDb;
import io.honua.db.audit.ChainVerification;
import io.honua.db.core.SessionLimits;
import io.honua.db.maintenance.JobRun;
import io.honua.db.maintenance.MaintenanceOptions;
import io.honua.db.maintenance.MaintenanceScheduler;
import io.honua.db.testing.HonuaFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12: attacks at the edges of row-level security, each run by a real login role this test creates (unique
 * names per run, dropped afterwards): a member of {@code honua_app} with another tenant ({@code evil}) set and with
 * none, a member of {@code honua_worker}, a member of {@code honua_admin} (positive controls) and a role that is a
 * member of nothing (PUBLIC). The victim is tenant {@code acme}.
 *
 * <p>Every attempt asserts that it was denied (SQLSTATE 42501 unless said otherwise), came back empty, or changed
 * nothing; each one also checks that the protected state (licenses, usage counters, slots, tiers, API keys, cache
 * entries, registry credentials) is byte-for-byte what it was. After the suite, the audit chain of every tenant must
 * still verify.
 */
class AttackSuiteTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled();

    enum Who { APP, WORKER, ADMIN, NONE }

    enum Expect { DENIED, DENIED_RLS, EMPTY, OK }

    /** One attempt; DENIED expects {@code state} (42501 unless said otherwise). */
    record Attempt(String name, Who who, String tenant, String sql, Expect expect, String state) {
        Attempt(String name, Who who, String tenant, String sql, Expect expect) {
            this(name, who, tenant, sql, expect, "42501");
        }
    }

    private static final String SUFFIX = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private static final Map<Who, String> LOGINS = new EnumMap<>(Who.class);
    private static final Map<Who, Connection> SESSIONS = new EnumMap<>(Who.class);
    private static final String H_STANDARD = "a".repeat(64);
    private static final String H_FREE = "b".repeat(64);
    private static final String H_NEW = "c".repeat(64);
    private static String standardEntryId;
    private static String freeEntryId;
    private static String acmeLicenseId;
    private static String evilLicenseId;
    private static String acmeKeyId;
    private static DSLContext owner;

    @BeforeAll
    static void setUp() throws SQLException {
        owner = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        Map<Who, String> groups = Map.of(Who.APP, "honua_app", Who.WORKER, "honua_worker", Who.ADMIN, "honua_admin");
        for (Who who : Who.values()) {
            String login = "atk_" + who.name().toLowerCase() + "_" + SUFFIX;
            LOGINS.put(who, login);
            owner.execute("CREATE ROLE " + login + " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT PASSWORD '" + login + "'"
                    + (groups.containsKey(who) ? " IN ROLE " + groups.get(who) : ""));
        }
        // the victim acme (standard, at its registries quota) and the attacker evil (free)
        owner.execute("INSERT INTO customers (customer_id, name, tier) VALUES ('acme', 'Acme', 'standard'), ('evil', 'Evil', 'free')");
        owner.execute("INSERT INTO licenses (customer_id, tier, status, license_key_hash, license_key_encrypted, encryption_key_id, "
                + "max_registries, max_builds_per_month) VALUES "
                + "('acme', 'standard', 'active', repeat('1', 64), '\\x00', 'k1', 1, 100), "
                + "('evil', 'free', 'active', repeat('2', 64), '\\x00', 'k1', 1, 5)");
        owner.execute("INSERT INTO registry_credentials (customer_id, registry_type, registry_name, registry_url, username, "
                + "encrypted_secret, encryption_key_id) VALUES ('acme', 'ecr', 'prod', 'https://r.example', 'u', '\\x00', 'k1')");
        owner.execute("INSERT INTO api_keys (customer_id, name, key_prefix, key_hash, scopes) "
                + "VALUES ('acme', 'ci', 'hk_abcdefgh', repeat('3', 64), '{builds:claim}')");
        acmeLicenseId = owner.fetchValue("SELECT id::text FROM licenses WHERE customer_id = 'acme'").toString();
        evilLicenseId = owner.fetchValue("SELECT id::text FROM licenses WHERE customer_id = 'evil'").toString();
        acmeKeyId = owner.fetchValue("SELECT id::text FROM api_keys WHERE customer_id = 'acme'").toString();
        standardEntryId = owner.fetchValue("INSERT INTO build_cache_registry (manifest_hash, tier, image_reference, image_digest, "
                + "created_by_customer_id) VALUES (?, 'standard', 'registry.example/acme/app:1', 'sha256:1', 'acme') RETURNING id::text",
                H_STANDARD).toString();
        freeEntryId = owner.fetchValue("INSERT INTO build_cache_registry (manifest_hash, tier, image_reference, image_digest, "
                + "created_by_customer_id) VALUES (?, 'free', 'registry.example/acme/base:1', 'sha256:2', 'acme') RETURNING id::text",
                H_FREE).toString();
        for (Who who : Who.values()) {
            Properties p = new Properties();
            p.setProperty("user", LOGINS.get(who));
            p.setProperty("password", LOGINS.get(who));
            Connection c = DriverManager.getConnection(fx.db().jdbcUrl(), p);
            try (Statement s = c.createStatement()) {
                // a victim never waits forever should an attack succeed: the suite then fails instead of hanging
                s.execute("SET lock_timeout = '5s'");
            }
            SESSIONS.put(who, c);
        }
    }

    @AfterAll
    static void tearDown() throws SQLException {
        try {
            HonuaDb honua = fx.honua();
            for (String tenant : List.of("acme", "evil")) {
                assertThat(honua.audit().verifyChain(tenant).eventsChecked()).as("audit events of %s", tenant).isPositive();
            }
            // every tenant's chain, also those the administrative functions wrote
            for (String tenant : owner.fetch("SELECT DISTINCT tenant_id FROM audit_events ORDER BY 1").getValues(0, String.class)) {
                ChainVerification v = honua.audit().verifyChain(tenant);
                assertThat(v.isValid()).as("audit chain of %s: %s", tenant, v).isTrue();
            }
        } finally {
            for (Connection c : SESSIONS.values()) {
                c.close();
            }
            for (String login : LOGINS.values()) {
                owner.execute("DROP ROLE IF EXISTS " + login);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The table of plain attempts, by class
    // ---------------------------------------------------------------------------------------------------------------

    private static Map<String, List<Attempt>> attempts() {
        Map<String, List<Attempt>> g = new LinkedHashMap<>();
        String cred = "INSERT INTO registry_credentials (customer_id, registry_type, registry_name, registry_url, username, "
                + "encrypted_secret, encryption_key_id) VALUES ('%s', 'ecr', 'x%s', 'https://x', 'u', '\\x00', 'k1')";
        g.put("tables and partitions", List.of(
                new Attempt("raise own build quota", Who.APP, "evil", "UPDATE licenses SET max_builds_per_month = 1000000 WHERE customer_id = 'evil'", Expect.DENIED),
                new Attempt("extend own license", Who.APP, "evil", "UPDATE licenses SET expires_at = now() + interval '100 years'", Expect.DENIED),
                new Attempt("issue itself an enterprise license", Who.APP, "evil", "INSERT INTO licenses (customer_id, tier, license_key_hash, "
                        + "license_key_encrypted, encryption_key_id) VALUES ('evil', 'enterprise', repeat('9', 64), '\\x00', 'k1')", Expect.DENIED),
                new Attempt("reset own usage counter", Who.APP, "evil", "DELETE FROM license_build_usage", Expect.DENIED),
                new Attempt("plant a usage counter", Who.APP, "evil", "INSERT INTO license_build_usage VALUES ('evil', current_quota_month(), 0)", Expect.DENIED),
                new Attempt("jump the fair-share order", Who.APP, "evil", "INSERT INTO build_queue_runnable (customer_id, vtime, head_rank, ready) "
                        + "VALUES ('evil', 0, 0, true) ON CONFLICT (customer_id) DO UPDATE SET vtime = 0", Expect.DENIED),
                new Attempt("raise own fair-share weight", Who.APP, "evil", "INSERT INTO build_queue_weights (customer_id, weight) VALUES ('evil', 1000)", Expect.DENIED),
                new Attempt("raise own fair-share weight by function", Who.APP, "evil", "SELECT set_fair_share_weight('evil', 1000)", Expect.DENIED),
                new Attempt("raise own tier", Who.APP, "evil", "UPDATE customers SET tier = 'enterprise' WHERE customer_id = 'evil'", Expect.DENIED),
                new Attempt("create a tenant", Who.APP, "evil", "INSERT INTO customers (customer_id, name, tier) VALUES ('evil', 'x', 'enterprise')", Expect.DENIED),
                new Attempt("create an admin:* API key", Who.APP, "evil", "INSERT INTO api_keys (customer_id, name, key_prefix, key_hash, scopes) "
                        + "VALUES ('evil', 'root', 'hk_aaaaaaaa', repeat('d', 64), '{admin:*}')", Expect.DENIED),
                new Attempt("widen own key scopes", Who.APP, "evil", "UPDATE api_keys SET scopes = '{admin:*}'", Expect.DENIED),
                new Attempt("delete builds", Who.APP, "evil", "DELETE FROM build_queue", Expect.DENIED),
                new Attempt("move a credential to another tenant", Who.APP, "evil", "UPDATE registry_credentials SET customer_id = 'evil'", Expect.DENIED),
                new Attempt("read a partition directly", Who.APP, "evil", "SELECT count(*) FROM build_access_log_default", Expect.DENIED),
                new Attempt("write a partition directly", Who.APP, "evil", "INSERT INTO build_events_default (build_id, event_type, seq) "
                        + "VALUES (gen_random_uuid(), 'queued', 1)", Expect.DENIED),
                new Attempt("read the victim's customer row", Who.APP, "evil", "SELECT count(*) FROM customers WHERE customer_id = 'acme'", Expect.EMPTY),
                new Attempt("read other tenants' licenses", Who.APP, "evil", "SELECT count(*) FROM licenses WHERE customer_id <> 'evil'", Expect.EMPTY),
                new Attempt("read licenses with no tenant set", Who.APP, null, "SELECT count(*) FROM licenses", Expect.EMPTY),
                new Attempt("read the audit trail with no tenant set", Who.APP, null, "SELECT count(*) FROM audit_events", Expect.EMPTY),
                new Attempt("truncate the audit trail", Who.APP, "evil", "TRUNCATE audit_events", Expect.DENIED),
                new Attempt("worker raises a license", Who.WORKER, null, "UPDATE licenses SET max_builds_per_month = 1000000", Expect.DENIED),
                new Attempt("worker changes a tier", Who.WORKER, null, "UPDATE customers SET tier = 'enterprise'", Expect.DENIED),
                new Attempt("worker mints an API key", Who.WORKER, null, "INSERT INTO api_keys (customer_id, name, key_prefix, key_hash, scopes) "
                        + "VALUES ('acme', 'w', 'hk_bbbbbbbb', repeat('e', 64), '{admin:*}')", Expect.DENIED),
                new Attempt("worker resets usage", Who.WORKER, null, "DELETE FROM license_build_usage", Expect.DENIED),
                new Attempt("worker creates a customer with a tier of its choosing", Who.WORKER, null,
                        "INSERT INTO customers (customer_id, name, email, tier) VALUES ('w-made', 'W', 'w@example.com', 'enterprise')",
                        Expect.DENIED)));
        g.put("build cache", List.of(
                new Attempt("register a backdoor image directly", Who.APP, "evil", "INSERT INTO build_cache_registry (manifest_hash, tier, "
                        + "image_reference, image_digest, created_by_customer_id) VALUES ('" + H_NEW + "', 'free', 'docker.io/evil/backdoor', 'sha256:e', 'evil')", Expect.DENIED),
                new Attempt("register a backdoor image through the function", Who.APP, "evil", "SELECT * FROM cache_register('evil', '" + H_NEW
                        + "', 'free', 'docker.io/evil/backdoor', 'sha256:e', NULL, NULL, NULL, NULL)", Expect.DENIED),
                new Attempt("overwrite a shared entry", Who.APP, "evil", "UPDATE build_cache_registry SET image_reference = 'docker.io/evil/backdoor'", Expect.DENIED),
                new Attempt("learn who registered entries", Who.APP, "evil", "SELECT created_by_customer_id FROM build_cache_registry", Expect.DENIED),
                new Attempt("read entries above its tier", Who.APP, "evil", "SELECT count(*) FROM build_cache_registry WHERE tier <> 'free'", Expect.EMPTY),
                new Attempt("read entries with no tenant set", Who.APP, null, "SELECT count(*) FROM build_cache_registry", Expect.EMPTY),
                new Attempt("look up above its tier", Who.APP, "evil", "SELECT count(*) FROM cache_lookup('evil', '" + H_STANDARD + "', 'standard')", Expect.EMPTY),
                new Attempt("forge a hit on an entry its tier may not use", Who.APP, "evil", "INSERT INTO build_access_log (cache_entry_id, customer_id, "
                        + "manifest_hash, tier, access_type) VALUES ('%ENTRY%', 'evil', '" + H_STANDARD + "', 'standard', 'hit')", Expect.DENIED_RLS),
                new Attempt("forge a hit under another entry's hash", Who.APP, "evil", "INSERT INTO build_access_log (cache_entry_id, customer_id, "
                        + "manifest_hash, tier, access_type) VALUES ('%FREE%', 'evil', '" + H_STANDARD + "', 'standard', 'hit')", Expect.DENIED_RLS),
                new Attempt("record hits for the victim", Who.APP, "evil", "INSERT INTO build_access_log (customer_id, manifest_hash, tier, access_type) "
                        + "VALUES ('acme', '" + H_FREE + "', 'free', 'miss')", Expect.DENIED_RLS)));
        g.put("views", List.of(
                new Attempt("victim's usage through a view", Who.APP, "evil", "SELECT count(*) FROM customer_build_usage WHERE customer_id = 'acme'", Expect.EMPTY),
                new Attempt("victim's builds through a view", Who.APP, "evil", "SELECT count(*) FROM active_builds WHERE customer_id = 'acme'", Expect.EMPTY),
                new Attempt("views with no tenant set", Who.APP, null, "SELECT count(*) FROM customer_build_usage", Expect.EMPTY)));
        g.put("functions", List.of(
                new Attempt("victim's quota usage", Who.APP, "evil", "SELECT count(*) FROM get_license_quota_usage('acme')", Expect.EMPTY),
                new Attempt("key usage report", Who.APP, "evil", "SELECT count(*) FROM encryption_key_usage()", Expect.DENIED),
                new Attempt("expire licenses", Who.APP, "evil", "SELECT expire_licenses()", Expect.DENIED),
                new Attempt("partition upkeep", Who.APP, "evil", "SELECT count(*) FROM maintain_partitions()", Expect.DENIED),
                new Attempt("partition upkeep unsecured", Who.WORKER, null, "SELECT count(*) FROM maintain_partitions_unsecured()", Expect.DENIED),
                new Attempt("re-run an RLS helper", Who.APP, "evil", "SELECT honua_enable_tenant_rls('customers', 'customer_id')", Expect.DENIED),
                new Attempt("secure partitions helper", Who.WORKER, null, "SELECT honua_secure_new_partitions()", Expect.DENIED),
                new Attempt("expiring licenses of all tenants", Who.APP, "evil", "SELECT count(*) FROM licenses_expiring_within(1000000000)", Expect.DENIED),
                new Attempt("purge customers", Who.APP, "evil", "SELECT purge_soft_deleted_records(0)", Expect.DENIED)));
        g.put("triggers", List.of(
                new Attempt("owner-rights quota trigger on the victim's credentials", Who.APP, "evil", String.format(cred, "acme", "1"), Expect.DENIED_RLS),
                new Attempt("enqueue for the victim", Who.APP, "evil", "INSERT INTO build_queue (customer_id) VALUES ('acme')", Expect.DENIED_RLS),
                new Attempt("append to the victim's audit chain", Who.APP, "evil", "INSERT INTO audit_events (tenant_id, action, entity_type) "
                        + "VALUES ('acme', 'forged', 'x')", Expect.DENIED_RLS),
                new Attempt("rewrite an audit event", Who.APP, "evil", "UPDATE audit_events SET action = 'x'", Expect.DENIED),
                new Attempt("delete audit events", Who.APP, "evil", "DELETE FROM audit_events", Expect.DENIED)));
        g.put("grants and DDL", List.of(
                new Attempt("create a table in the schema", Who.APP, "evil", "CREATE TABLE public.evil (x int)", Expect.DENIED),
                new Attempt("create a function in the schema", Who.APP, "evil", "CREATE FUNCTION public.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'", Expect.DENIED),
                new Attempt("disable row-level security", Who.APP, "evil", "ALTER TABLE customers DISABLE ROW LEVEL SECURITY", Expect.DENIED),
                new Attempt("add a permissive policy", Who.APP, "evil", "CREATE POLICY evil ON customers FOR SELECT TO honua_app USING (true)", Expect.DENIED),
                new Attempt("grant itself the worker role", Who.APP, "evil", "GRANT honua_worker TO CURRENT_USER", Expect.DENIED),
                new Attempt("become the admin role", Who.APP, "evil", "SET ROLE honua_admin", Expect.DENIED),
                new Attempt("temporary tables still work for the app", Who.APP, "evil", "CREATE TEMP TABLE scratch_a (x int); ALTER TABLE scratch_a ADD COLUMN y int; DROP TABLE scratch_a", Expect.OK),
                new Attempt("temporary tables still work for the worker", Who.WORKER, null, "CREATE TEMP TABLE scratch_w (x int); ALTER TABLE scratch_w ADD COLUMN y int; DROP TABLE scratch_w", Expect.OK)));
        g.put("locks and advisory keys", List.of(
                new Attempt("stall the queue", Who.APP, "evil", "LOCK TABLE build_queue IN ACCESS EXCLUSIVE MODE", Expect.DENIED),
                new Attempt("stall customers", Who.APP, "evil", "LOCK TABLE customers IN SHARE MODE", Expect.DENIED),
                new Attempt("stall the audit trail", Who.APP, "evil", "LOCK TABLE audit_events IN EXCLUSIVE MODE", Expect.DENIED),
                new Attempt("stall the credentials", Who.APP, "evil", "LOCK TABLE registry_credentials IN SHARE ROW EXCLUSIVE MODE", Expect.DENIED),
                new Attempt("stall the lock table", Who.APP, "evil", "LOCK TABLE honua_locks IN ACCESS EXCLUSIVE MODE", Expect.DENIED),
                new Attempt("hold the victim's audit chain row", Who.APP, "evil", "SELECT key FROM honua_locks WHERE scope = 'audit' AND key = 'acme' FOR UPDATE", Expect.EMPTY),
                new Attempt("hold a maintenance job row", Who.APP, "evil", "SELECT key FROM honua_locks WHERE scope = 'maintenance' FOR UPDATE", Expect.EMPTY),
                new Attempt("hold the victim's customer row", Who.APP, "evil", "SELECT customer_id FROM customers WHERE customer_id = 'acme' FOR UPDATE", Expect.EMPTY),
                new Attempt("lock rows with no privilege at all", Who.NONE, null, "SELECT key FROM honua_locks FOR UPDATE", Expect.DENIED)));
        g.put("PUBLIC (member of nothing)", List.of(
                new Attempt("verify an API key", Who.NONE, null, "SELECT * FROM verify_api_key(repeat('3', 64))", Expect.DENIED),
                new Attempt("verify a license key", Who.NONE, null, "SELECT * FROM verify_license_key(repeat('1', 64))", Expect.DENIED),
                new Attempt("look up the cache", Who.NONE, null, "SELECT * FROM cache_lookup('acme', '" + H_STANDARD + "', 'standard')", Expect.DENIED),
                new Attempt("read customers", Who.NONE, null, "SELECT count(*) FROM customers", Expect.DENIED),
                new Attempt("read the cache registry", Who.NONE, null, "SELECT count(*) FROM build_cache_registry", Expect.DENIED),
                new Attempt("call the tenant helper", Who.NONE, null, "SELECT honua_current_tenant()", Expect.DENIED),
                new Attempt("call the audit hash", Who.NONE, null, "SELECT audit_event_hash('', '', 1, '', '', '', '', '{}', now())", Expect.DENIED),
                // (the schema's own functions; extension functions are covered by FunctionSecurityCatalogTest, since a
                // non-superuser owner cannot revoke those of trusted extensions it does not own)
                new Attempt("functions it may execute", Who.NONE, null, "SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace "
                        + "AND has_function_privilege(p.oid, 'EXECUTE') AND NOT EXISTS (SELECT 1 FROM pg_depend d "
                        + "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')", Expect.EMPTY)));
        g.put("administrative role: no direct write on the commercial state (V18)", List.of(
                new Attempt("admin raises a build quota directly", Who.ADMIN, "acme", "UPDATE licenses SET max_builds_per_month = 1000000 WHERE customer_id = 'acme'", Expect.DENIED),
                new Attempt("admin un-expires a license directly", Who.ADMIN, "acme", "UPDATE licenses SET expires_at = NULL, status = 'active'", Expect.DENIED),
                new Attempt("admin inserts a license directly", Who.ADMIN, "acme", "INSERT INTO licenses (customer_id, tier, license_key_hash, "
                        + "license_key_encrypted, encryption_key_id) VALUES ('acme', 'enterprise', repeat('9', 64), '\\x00', 'k1')", Expect.DENIED),
                new Attempt("admin deletes a license directly", Who.ADMIN, "evil", "DELETE FROM licenses WHERE customer_id = 'evil'", Expect.DENIED),
                new Attempt("admin truncates licenses", Who.ADMIN, null, "TRUNCATE licenses", Expect.DENIED),
                new Attempt("admin locks licenses", Who.ADMIN, null, "LOCK TABLE licenses IN EXCLUSIVE MODE", Expect.DENIED),
                new Attempt("admin changes a tier directly", Who.ADMIN, "acme", "UPDATE customers SET tier = 'enterprise' WHERE customer_id = 'acme'", Expect.DENIED),
                new Attempt("admin creates a customer directly", Who.ADMIN, "adm-new", "INSERT INTO customers (customer_id, name, tier) VALUES ('adm-new', 'x', 'enterprise')", Expect.DENIED),
                new Attempt("admin deletes a customer (and its licenses) directly", Who.ADMIN, "evil", "DELETE FROM customers WHERE customer_id = 'evil'", Expect.DENIED),
                new Attempt("admin widens key scopes directly", Who.ADMIN, "acme", "UPDATE api_keys SET scopes = '{admin:*}'", Expect.DENIED),
                new Attempt("admin mints an API key directly", Who.ADMIN, "acme", "INSERT INTO api_keys (customer_id, name, key_prefix, key_hash, scopes) "
                        + "VALUES ('acme', 'root', 'hk_aaaaaaaa', repeat('d', 64), '{admin:*}')", Expect.DENIED),
                new Attempt("admin revives a key directly", Who.ADMIN, "acme", "UPDATE api_keys SET revoked_at = NULL", Expect.DENIED),
                new Attempt("admin deletes API keys directly", Who.ADMIN, "acme", "DELETE FROM api_keys", Expect.DENIED),
                new Attempt("admin resets a usage counter", Who.ADMIN, "acme", "DELETE FROM license_build_usage", Expect.DENIED),
                new Attempt("admin plants a usage counter", Who.ADMIN, "acme", "INSERT INTO license_build_usage VALUES ('acme', current_quota_month(), 0)", Expect.DENIED),
                new Attempt("admin writes slots", Who.ADMIN, "acme", "UPDATE build_queue_slots SET customer_id = customer_id", Expect.DENIED),
                new Attempt("admin deletes slots", Who.ADMIN, "acme", "DELETE FROM build_queue_slots", Expect.DENIED),
                new Attempt("admin writes a fair-share weight directly", Who.ADMIN, "acme", "INSERT INTO build_queue_weights (customer_id, weight) VALUES ('acme', 1000)", Expect.DENIED),
                new Attempt("admin calls the actor helper", Who.ADMIN, "acme", "SELECT honua_admin_enter('acme')", Expect.DENIED),
                new Attempt("tenant revives its revoked key", Who.APP, "acme", "UPDATE api_keys SET revoked_at = NULL", Expect.DENIED)));
        List<Attempt> execute = new ArrayList<>();
        Map<String, String> adminCalls = new LinkedHashMap<>();
        adminCalls.put("create a customer", "SELECT admin_create_customer('evil', 'x', NULL, 'active', 'enterprise', '{}')");
        adminCalls.put("raise a tier", "SELECT admin_update_customer('evil', 'enterprise', NULL, NULL, NULL, NULL)");
        adminCalls.put("issue a license", "SELECT admin_issue_license('evil', 'enterprise', repeat('e', 64), '\\x01', 'k1', '{}', 1000000, 100, 100, NULL, NULL)");
        adminCalls.put("revoke a license", "SELECT admin_set_license_status('evil', '%EVIL_LICENSE%', 'revoked')");
        adminCalls.put("reinstate a license", "SELECT admin_reinstate_license('evil', '%EVIL_LICENSE%')");
        adminCalls.put("set feature flags", "SELECT admin_set_license_feature_flags('evil', '%EVIL_LICENSE%', '{\"gpu\": true}')");
        adminCalls.put("re-encrypt a license key", "SELECT admin_rekey_license('evil', '%EVIL_LICENSE%', 'k1', '\\x00', 'k2', '\\x02')");
        adminCalls.put("mint an admin:* API key", "SELECT admin_create_api_key('evil', 'root', 'hk_aaaaaaaa', repeat('d', 64), '{admin:*}', NULL)");
        adminCalls.put("set a fair-share weight", "SELECT set_fair_share_weight('evil', 1000)");
        adminCalls.put("pin the audit actor", "SELECT honua_admin_enter('evil')");
        adminCalls.forEach((what, sql) -> {
            execute.add(new Attempt(what + " (admin function)", Who.APP, "evil", sql, Expect.DENIED));
            execute.add(new Attempt(what + " (admin function)", Who.WORKER, null, sql, Expect.DENIED));
            execute.add(new Attempt(what + " (admin function)", Who.NONE, null, sql, Expect.DENIED));
        });
        execute.add(new Attempt("revoke the victim's key", Who.APP, "evil", "SELECT revoke_api_key('acme', '%ACME_KEY%')", Expect.DENIED));
        execute.add(new Attempt("revoke a key with no tenant set", Who.APP, null, "SELECT revoke_api_key('acme', '%ACME_KEY%')", Expect.DENIED));
        execute.add(new Attempt("revoke the victim's key as its own", Who.APP, "evil", "SELECT revoke_api_key('evil', '%ACME_KEY%')", Expect.DENIED, "HA003"));
        execute.add(new Attempt("worker revokes a key", Who.WORKER, null, "SELECT revoke_api_key('acme', '%ACME_KEY%')", Expect.DENIED));
        execute.add(new Attempt("nobody revokes a key", Who.NONE, null, "SELECT revoke_api_key('acme', '%ACME_KEY%')", Expect.DENIED));
        g.put("administrative functions: only honua_admin executes them", execute);
        String issue = "SELECT admin_issue_license('%s', '%s', %s, %s, 'k1', '%s', %d, 1, 1, %s, %s)";
        g.put("administrative functions: bad input is refused typed and changes nothing", List.of(
                new Attempt("issue an unknown tier", Who.ADMIN, "acme", String.format(issue, "acme", "platinum", "repeat('e', 64)", "'\\x01'", "{}", 1, "NULL", "NULL"), Expect.DENIED, "22023"),
                new Attempt("issue non-boolean flags", Who.ADMIN, "acme", String.format(issue, "acme", "free", "repeat('e', 64)", "'\\x01'", "{\"gpu\": 1}", 1, "NULL", "NULL"), Expect.DENIED, "HA005"),
                new Attempt("issue a zero quota", Who.ADMIN, "acme", String.format(issue, "acme", "free", "repeat('e', 64)", "'\\x01'", "{}", 0, "NULL", "NULL"), Expect.DENIED, "22023"),
                new Attempt("issue an expired license", Who.ADMIN, "acme", String.format(issue, "acme", "free", "repeat('e', 64)", "'\\x01'", "{}", 1, "NULL", "now() - interval '1 day'"), Expect.DENIED, "22023"),
                new Attempt("issue a trial that ended", Who.ADMIN, "acme", String.format(issue, "acme", "free", "repeat('e', 64)", "'\\x01'", "{}", 1, "now() - interval '1 day'", "NULL"), Expect.DENIED, "22023"),
                new Attempt("issue with a malformed key hash", Who.ADMIN, "acme", String.format(issue, "acme", "free", "'XYZ'", "'\\x01'", "{}", 1, "NULL", "NULL"), Expect.DENIED, "22023"),
                new Attempt("issue without key material", Who.ADMIN, "acme", String.format(issue, "acme", "free", "repeat('e', 64)", "''::bytea", "{}", 1, "NULL", "NULL"), Expect.DENIED, "22023"),
                new Attempt("issue for an unknown customer", Who.ADMIN, "nosuch", String.format(issue, "nosuch", "free", "repeat('e', 64)", "'\\x01'", "{}", 1, "NULL", "NULL"), Expect.DENIED, "HA001"),
                new Attempt("issue with no tenant set", Who.ADMIN, null, String.format(issue, "acme", "free", "repeat('e', 64)", "'\\x01'", "{}", 1, "NULL", "NULL"), Expect.DENIED),
                new Attempt("issue for a customer other than the tenant", Who.ADMIN, "evil", String.format(issue, "acme", "free", "repeat('e', 64)", "'\\x01'", "{}", 1, "NULL", "NULL"), Expect.DENIED),
                new Attempt("change another customer's license", Who.ADMIN, "acme", "SELECT admin_set_license_status('acme', '%EVIL_LICENSE%', 'suspended')", Expect.DENIED, "HA002"),
                new Attempt("set a license active directly", Who.ADMIN, "acme", "SELECT admin_set_license_status('acme', '%ACME_LICENSE%', 'active')", Expect.DENIED, "22023"),
                new Attempt("reinstate a license that is not suspended", Who.ADMIN, "acme", "SELECT admin_reinstate_license('acme', '%ACME_LICENSE%')", Expect.DENIED, "HA004"),
                new Attempt("flags that are not an object", Who.ADMIN, "acme", "SELECT admin_set_license_feature_flags('acme', '%ACME_LICENSE%', '[true]')", Expect.DENIED, "HA005"),
                new Attempt("flags of an unknown license", Who.ADMIN, "acme", "SELECT admin_set_license_feature_flags('acme', gen_random_uuid(), '{}')", Expect.DENIED, "HA002"),
                new Attempt("re-encrypt under an empty key id", Who.ADMIN, "acme", "SELECT admin_rekey_license('acme', '%ACME_LICENSE%', 'k1', '\\x00', '', '\\x02')", Expect.DENIED, "22023"),
                new Attempt("an unknown tier", Who.ADMIN, "acme", "SELECT admin_update_customer('acme', 'platinum', NULL, NULL, NULL, NULL)", Expect.DENIED, "22023"),
                new Attempt("a tier with a bad email", Who.ADMIN, "acme", "SELECT admin_update_customer('acme', 'enterprise', NULL, 'no-at-sign', NULL, NULL)", Expect.DENIED, "22023"),
                new Attempt("tier of another customer than the tenant", Who.ADMIN, "evil", "SELECT admin_update_customer('acme', 'enterprise', NULL, NULL, NULL, NULL)", Expect.DENIED),
                new Attempt("tier of an unknown customer", Who.ADMIN, "nosuch", "SELECT admin_update_customer('nosuch', 'free', NULL, NULL, NULL, NULL)", Expect.DENIED, "HA001"),
                new Attempt("create an existing customer", Who.ADMIN, "acme", "SELECT admin_create_customer('acme', 'Again', NULL, 'active', 'free', '{}')", Expect.DENIED, "23505"),
                new Attempt("create a malformed customer id", Who.ADMIN, "bad id!", "SELECT admin_create_customer('bad id!', 'x', NULL, 'active', 'free', '{}')", Expect.DENIED, "22023"),
                new Attempt("create with an unknown status", Who.ADMIN, "newco", "SELECT admin_create_customer('newco', 'x', NULL, 'gold', 'free', '{}')", Expect.DENIED, "22023"),
                new Attempt("create with array metadata", Who.ADMIN, "newco", "SELECT admin_create_customer('newco', 'x', NULL, 'active', 'free', '[1]')", Expect.DENIED, "22023"),
                new Attempt("a key whose name is taken", Who.ADMIN, "acme", "SELECT admin_create_api_key('acme', 'ci', 'hk_cccccccc', repeat('c', 64), '{builds:claim}', NULL)", Expect.DENIED, "23505"),
                new Attempt("a key with a bad scope", Who.ADMIN, "acme", "SELECT admin_create_api_key('acme', 'x', 'hk_cccccccc', repeat('c', 64), '{Admin Star}', NULL)", Expect.DENIED, "22023"),
                new Attempt("a key that already expired", Who.ADMIN, "acme", "SELECT admin_create_api_key('acme', 'x', 'hk_cccccccc', repeat('c', 64), '{}', now() - interval '1 hour')", Expect.DENIED, "22023"),
                new Attempt("a key for an unknown customer", Who.ADMIN, "nosuch", "SELECT admin_create_api_key('nosuch', 'x', 'hk_cccccccc', repeat('c', 64), '{}', NULL)", Expect.DENIED, "HA001"),
                new Attempt("revoke an unknown key", Who.ADMIN, "acme", "SELECT revoke_api_key('acme', gen_random_uuid())", Expect.DENIED, "HA003"),
                new Attempt("a zero fair-share weight", Who.ADMIN, "acme", "SELECT set_fair_share_weight('acme', 0)", Expect.DENIED, "22023"),
                new Attempt("a weight for an unknown customer", Who.ADMIN, "acme", "SELECT set_fair_share_weight('nosuch', 2)", Expect.DENIED, "23503")));
        return g;
    }

    @TestFactory
    Stream<DynamicContainer> plainAttempts() {
        assertThat(attempts().values().stream().mapToInt(List::size).sum()).isGreaterThanOrEqualTo(40);
        return attempts().entrySet().stream().map(e -> DynamicContainer.dynamicContainer(e.getKey(),
                e.getValue().stream().map(a -> DynamicTest.dynamicTest(a.who() + " / " + (a.tenant() == null ? "no tenant" : a.tenant())
                        + ": " + a.name(), () -> run(a)))));
    }

    private static <T> T fv(String sql, Class<T> type, Object... binds) {
        return owner.fetchOne(sql, binds).get(0, type);
    }

    private static void run(Attempt a) throws SQLException {
        String before = protectedState();
        Connection c = SESSIONS.get(a.who());
        String sql = a.sql().replace("%ENTRY%", standardEntryId).replace("%FREE%", freeEntryId)
                .replace("%ACME_LICENSE%", acmeLicenseId).replace("%EVIL_LICENSE%", evilLicenseId).replace("%ACME_KEY%", acmeKeyId);
        c.setAutoCommit(false);
        try {
            setTenant(c, a.tenant());
            switch (a.expect()) {
                case DENIED, DENIED_RLS -> {
                    SQLException e = failure(c, sql);
                    assertThat((Throwable) e).as("%s must be refused", a.name()).isNotNull();
                    assertThat(e.getSQLState()).as("%s: %s", a.name(), e.getMessage()).isEqualTo(a.state());
                    if (a.expect() == Expect.DENIED_RLS) {
                        assertThat(e.getMessage()).as(a.name()).contains("row-level security")
                                .doesNotContain("quota").doesNotContain("license");
                    }
                }
                case EMPTY -> {
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                        if (rs.next()) {
                            Object v = rs.getObject(1);
                            assertThat(v instanceof Number n && n.longValue() == 0).as("%s returned %s", a.name(), v).isTrue();
                            assertThat(rs.next()).isFalse();
                        }
                    }
                    c.commit();
                }
                case OK -> {
                    try (Statement s = c.createStatement()) {
                        s.execute(sql);
                    }
                    c.commit();
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
        assertThat(protectedState()).as("protected state after %s", a.name()).isEqualTo(before);
    }

    private static SQLException failure(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
            c.commit();
            return null;
        } catch (SQLException e) {
            c.rollback();
            return e;
        }
    }

    private static void setTenant(Connection c, String tenant) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('honua.tenant_id', ?, true)")) {
            ps.setString(1, tenant == null ? "" : tenant);
            ps.execute();
        }
    }

    /** A digest of every row an attacker must not change (as the owner, who sees all). */
    private static String protectedState() {
        // one statement (one snapshot, one round trip) for all tables
        StringBuilder sql = new StringBuilder("SELECT concat_ws(';'");
        for (String t : List.of("licenses", "license_build_usage", "build_queue_slots", "build_queue_weights", "customers",
                "api_keys", "build_cache_registry", "registry_credentials", "honua_locks")) {
            sql.append(", '").append(t).append("=' || (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ")
                    .append(t).append(" x)");
        }
        // and no audit event was appended (a refused change leaves no trace but the refusal)
        sql.append(", 'audit=' || (SELECT count(*) || '/' || coalesce(max(id)::text, '') FROM audit_events))");
        return owner.fetchValue(sql.toString()).toString();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // search_path shadowing
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void tempAuditTableNeitherSwallowsEventsNorForgesTheChain() throws SQLException {
        long before = fv("SELECT count(*) FROM audit_events WHERE tenant_id = 'evil'", Long.class);
        Connection c = SESSIONS.get(Who.APP);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT set_config('honua.tenant_id', 'evil', false)");
            s.execute("SELECT * INTO TEMP audit_events FROM public.audit_events WHERE false");
            // a forged head: seq and hash the next real event would chain to, were the temp table read
            s.execute("INSERT INTO pg_temp.audit_events (id, tenant_id, seq, actor, action, entity_type, details, occurred_at, prev_hash, hash) "
                    + "VALUES (999999, 'evil', 1000, 'x', 'forged', 'x', '{}', now(), repeat('f', 64), repeat('f', 64))");
            s.execute("SET search_path = pg_temp, public");
            s.execute("UPDATE customers SET name = 'Evil Corp' WHERE customer_id = 'evil'");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_temp.audit_events")) {
                rs.next();
                assertThat(rs.getLong(1)).as("events caught by the temp table").isEqualTo(1);
            }
            s.execute("DROP TABLE pg_temp.audit_events");
            s.execute("RESET search_path");
            s.execute("SELECT set_config('honua.tenant_id', '', false)");
        }
        assertThat(fv("SELECT count(*) FROM audit_events WHERE tenant_id = 'evil'", Long.class)).isEqualTo(before + 1);
        assertThat(fv("SELECT max(seq) FROM audit_events WHERE tenant_id = 'evil'", Long.class)).isLessThan(1000);
        assertThat(fx.honua().audit().verifyChain("evil").isValid()).isTrue();
    }

    @Test
    void tempLicensesTableDoesNotLiftTheRegistriesQuota() throws SQLException {
        Connection c = SESSIONS.get(Who.APP);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT set_config('honua.tenant_id', 'evil', false)");
            s.execute("CREATE TEMP TABLE licenses AS SELECT * FROM public.licenses");
            s.execute("UPDATE pg_temp.licenses SET max_registries = 1000");
            s.execute("CREATE TEMP TABLE registry_credentials AS SELECT * FROM public.registry_credentials WHERE false");
            s.execute("SET search_path = pg_temp, public");
            String cred = "INSERT INTO public.registry_credentials (customer_id, registry_type, registry_name, registry_url, username, "
                    + "encrypted_secret, encryption_key_id) VALUES ('evil', 'ecr', '%s', 'https://x', 'u', '\\x00', 'k1')";
            s.execute(String.format(cred, "first"));
            SQLException e = null;
            try {
                s.execute(String.format(cred, "second"));
            } catch (SQLException x) {
                e = x;
            }
            assertThat((Throwable) e).as("second registry beyond evil's quota of 1").isNotNull();
            assertThat(e.getSQLState()).isEqualTo("HL002");
            s.execute("RESET search_path");
            s.execute("DROP TABLE pg_temp.licenses, pg_temp.registry_credentials");
            s.execute("SELECT set_config('honua.tenant_id', '', false)");
        }
        assertThat(fv("SELECT count(*) FROM registry_credentials WHERE customer_id = 'evil'", Long.class)).isEqualTo(1);
    }

    @Test
    void tempCacheTableDoesNotChangeWhatLookupsReturn() throws SQLException {
        Connection c = SESSIONS.get(Who.APP);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT set_config('honua.tenant_id', 'evil', false)");
            s.execute("CREATE TEMP TABLE build_cache_registry (id uuid, manifest_hash text, tier text, image_reference text, "
                    + "image_digest text, image_size_bytes bigint, layer_count int, build_duration_seconds int, "
                    + "created_by_customer_id text, hit_count bigint, last_hit_at timestamptz, expires_at timestamptz, "
                    + "created_at timestamptz, updated_at timestamptz)");
            s.execute("INSERT INTO pg_temp.build_cache_registry (id, manifest_hash, tier, image_reference, image_digest, hit_count, created_at, updated_at) "
                    + "VALUES (gen_random_uuid(), '" + H_FREE + "', 'free', 'docker.io/evil/backdoor', 'sha256:e', 0, now(), now())");
            s.execute("SET search_path = pg_temp, public");
            try (ResultSet rs = s.executeQuery("SELECT image_reference FROM public.cache_lookup('evil', '" + H_FREE + "', 'free')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("registry.example/acme/base:1");
                assertThat(rs.next()).isFalse();
            }
            s.execute("RESET search_path");
            s.execute("DROP TABLE pg_temp.build_cache_registry");
            s.execute("SELECT set_config('honua.tenant_id', '', false)");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Cache ownership, hit statistics
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void hitsOnlyThroughRecordedAccessesTheTierAllows() throws SQLException {
        long hits = fv("SELECT hit_count FROM build_cache_registry WHERE manifest_hash = ?", Long.class, H_STANDARD);
        Connection c = SESSIONS.get(Who.APP);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT set_config('honua.tenant_id', 'evil', false)");
            // a "hit" on an entry above evil's tier is logged as a miss and counts nothing
            for (int i = 0; i < 5; i++) {
                s.execute("SELECT record_cache_access('evil', '" + H_STANDARD + "', 'standard', true)");
            }
            s.execute("SELECT set_config('honua.tenant_id', '', false)");
        }
        assertThat(fv("SELECT hit_count FROM build_cache_registry WHERE manifest_hash = ?", Long.class, H_STANDARD)).isEqualTo(hits);
        assertThat(fv("SELECT count(*) FROM build_access_log WHERE customer_id = 'evil' AND access_type = 'hit' "
                + "AND manifest_hash = ?", Long.class, H_STANDARD)).isZero();
    }

    @Test
    void onlyTheServiceRoleRegistersSharedEntriesAndTheVictimStillGetsItsOwn() throws SQLException {
        // a worker registers acme's build: acme's lookup returns it, evil could not have claimed the pair first
        Connection w = SESSIONS.get(Who.WORKER);
        try (Statement s = w.createStatement()) {
            s.execute("SELECT * FROM cache_register('acme', '" + H_NEW + "', 'standard', 'registry.example/acme/new:1', 'sha256:n', 1000, 3, 60, NULL)");
        }
        DSLContext acme = DSL.using(SESSIONS.get(Who.APP), SQLDialect.POSTGRES);
        String image = acme.transactionResult(cfg -> {
            cfg.dsl().execute("SELECT set_config('honua.tenant_id', 'acme', true)");
            return cfg.dsl().fetchValue("SELECT image_reference FROM cache_lookup('acme', ?, 'standard')", H_NEW).toString();
        });
        assertThat(image).isEqualTo("registry.example/acme/new:1");
        String createdBy = acme.transactionResult(cfg -> {
            cfg.dsl().execute("SELECT set_config('honua.tenant_id', 'acme', true)");
            Object v = cfg.dsl().fetchValue("SELECT created_by_customer_id FROM cache_lookup('acme', ?, 'standard')", H_NEW);
            return v == null ? "hidden" : v.toString();
        });
        assertThat(createdBy).as("the application never learns who registered an entry").isEqualTo("hidden");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Locks and advisory keys: holding the keys the schema used to rely on blocks nothing
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void advisoryKeysHeldByAnyoneBlockNoAuditedWriteAndNoMaintenanceJob() throws SQLException {
        Connection none = SESSIONS.get(Who.NONE);
        none.setAutoCommit(false);
        try (Statement s = none.createStatement()) {
            // the keys V10-V12 used: acme's audit chain, the registries quota, partition upkeep, the maintenance jobs
            s.execute("SELECT pg_advisory_xact_lock(hashtext('honua.audit:acme'))");
            s.execute("SELECT pg_advisory_xact_lock(hashtext('honua.registry_quota'), hashtext('acme'))");
            s.execute("SELECT pg_advisory_xact_lock(hashtext('honua'), hashtext('maintain_partitions'))");
            for (String job : List.of("expire-conversations", "revoke-credentials", "expire-licenses", "handle-timeouts",
                    "cleanup-logs", "purge-deleted", "maintain-partitions")) {
                s.execute("SELECT pg_advisory_xact_lock(hashtext('honua.maintenance:" + job + "'))");
            }
            // acme's audited write, as the admin role, with a lock timeout: would fail if it waited on the key
            Connection admin = SESSIONS.get(Who.ADMIN);
            try (Statement a = admin.createStatement()) {
                a.execute("UPDATE customers SET name = 'Acme Inc' WHERE customer_id = 'acme'");
            }
            assertThat(owner.fetchValue("SELECT action FROM audit_events WHERE tenant_id = 'acme' ORDER BY seq DESC LIMIT 1")).hasToString("customers.update");
            // every maintenance job runs (none BUSY), as the worker role
            HonuaDb workers = HonuaDb.builder(workerDataSource()).sessionLimits(SessionLimits.DEFAULTS.withLockTimeout(java.time.Duration.ofSeconds(5)))
                    .maintenance(MaintenanceOptions.defaults().withInstanceId("attack-suite")
                            .withClock(Clock.fixed(Instant.parse("2031-01-01T12:00:00Z"), ZoneOffset.UTC)))
                    .build();
            MaintenanceScheduler scheduler = workers.maintenance();
            List<JobRun> runs = scheduler.runDue();
            assertThat(runs).as("%s", runs).isNotEmpty().noneMatch(r -> r.outcome() == JobRun.Outcome.BUSY || r.outcome() == JobRun.Outcome.FAILED);
            // partition upkeep is not blocked either
            try (Statement w = SESSIONS.get(Who.WORKER).createStatement()) {
                w.execute("SELECT count(*) FROM maintain_partitions()");
            }
            // nor a dependency edge (V14 serialised every edge insert on one global key; now a lock row per tenant)
            s.execute("SELECT pg_advisory_xact_lock(hashtext('honua.build_dependencies'))");
            try (Statement w = SESSIONS.get(Who.WORKER).createStatement()) {
                w.execute("SET lock_timeout = '3s'");
                List<String> ids = new ArrayList<>();
                try (ResultSet rs = w.executeQuery("INSERT INTO build_queue (customer_id) VALUES ('acme'), ('acme') RETURNING id")) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
                w.execute("INSERT INTO build_dependencies (build_id, depends_on_build_id) VALUES ('" + ids.get(0) + "', '" + ids.get(1) + "')");
                w.execute("DELETE FROM build_queue WHERE id IN ('" + ids.get(0) + "', '" + ids.get(1) + "')");
                w.execute("RESET lock_timeout");
            }
        } finally {
            none.rollback();
            none.setAutoCommit(true);
        }
    }

    @Test
    void theAttackerHoldingItsOwnAuditRowDoesNotStallTheVictim() throws SQLException {
        Connection evil = SESSIONS.get(Who.APP);
        evil.setAutoCommit(false);
        try (Statement s = evil.createStatement()) {
            s.execute("SELECT set_config('honua.tenant_id', 'evil', true)");
            s.execute("INSERT INTO honua_locks (scope, key) VALUES ('audit', 'evil') ON CONFLICT DO NOTHING");
            try (ResultSet rs = s.executeQuery("SELECT key FROM honua_locks WHERE scope = 'audit' FOR UPDATE")) {
                List<String> keys = new ArrayList<>();
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
                assertThat(keys).containsExactly("evil");
            }
            try (Statement a = SESSIONS.get(Who.ADMIN).createStatement()) {
                a.execute("UPDATE customers SET metadata = '{\"x\": 1}' WHERE customer_id = 'acme'");
            }
        } finally {
            evil.rollback();
            evil.setAutoCommit(true);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Side channels: error texts and conflicts say nothing about rows the caller cannot see
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void errorsForTheVictimAndForNobodyAreTheSame() throws SQLException {
        String cred = "INSERT INTO registry_credentials (customer_id, registry_type, registry_name, registry_url, username, "
                + "encrypted_secret, encryption_key_id) VALUES ('%s', 'ecr', 'side', 'https://x', 'u', '\\x00', 'k1')";
        assertThat(errorOf(String.format(cred, "acme"))).isEqualTo(errorOf(String.format(cred, "nosuch")));
        assertThat(errorOf("SELECT * FROM cache_lookup('acme', '" + H_FREE + "', 'free')").replace("acme", "X"))
                .isEqualTo(errorOf("SELECT * FROM cache_lookup('nosuch', '" + H_FREE + "', 'free')").replace("nosuch", "X"));
        assertThat(errorOf("INSERT INTO build_queue (customer_id) VALUES ('acme')"))
                .isEqualTo(errorOf("INSERT INTO build_queue (customer_id) VALUES ('nosuch')"));
    }

    private static String errorOf(String sql) throws SQLException {
        Connection c = SESSIONS.get(Who.APP);
        c.setAutoCommit(false);
        try {
            setTenant(c, "evil");
            SQLException e = failure(c, sql);
            if (e == null) {
                fail("not refused: " + sql);
            }
            return e.getSQLState() + " " + e.getMessage();
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Positive control: the administrative role changes the commercial state, audited
    // ---------------------------------------------------------------------------------------------------------------

    @Test
    void theAdminRoleChangesTheCommercialStateOnlyThroughTheFunctionsAndEveryCallIsAudited() throws SQLException {
        String t = "adm_" + SUFFIX;
        String admin = LOGINS.get(Who.ADMIN);
        Connection a = SESSIONS.get(Who.ADMIN);
        adminCall(a, t, "SELECT admin_create_customer(?, 'Admin Co', 'ops@adm.example', 'active', 'standard', '{}')", t);
        adminCall(a, t, "SELECT admin_update_customer(?, 'professional', NULL, NULL, NULL, NULL)", t);
        String lic = adminCall(a, t, "SELECT admin_issue_license(?, 'professional', repeat('7', 64), '\\x01', 'k1', "
                + "'{\"gpu\": true}', 10, 2, 1, NULL, now() + interval '1 year')", t);
        adminCall(a, t, "SELECT admin_set_license_feature_flags(?, '" + lic + "', '{\"gpu\": false}')", t);
        adminCall(a, t, "SELECT admin_set_license_status(?, '" + lic + "', 'suspended')", t);
        adminCall(a, t, "SELECT admin_reinstate_license(?, '" + lic + "')", t);
        assertThat(adminCall(a, t, "SELECT admin_rekey_license(?, '" + lic + "', 'k1', '\\x01', 'k2', '\\x02')", t)).isEqualTo("t");
        // compare and set: the stored copy is no longer the one given, nothing changes (and nothing is audited)
        assertThat(adminCall(a, t, "SELECT admin_rekey_license(?, '" + lic + "', 'k1', '\\x01', 'k3', '\\x03')", t)).isEqualTo("f");
        String key = adminCall(a, t, "SELECT admin_create_api_key(?, 'ci', 'hk_admadmad', repeat('8', 64), '{builds:claim,builds:read}', NULL)", t);
        adminCall(a, t, "SELECT revoke_api_key(?, '" + key + "')", t);
        adminCall(a, t, "SELECT set_fair_share_weight(?, 7)", t);
        adminCall(a, t, "SELECT admin_set_license_status(?, '" + lic + "', 'revoked')", t);
        // the tenant revokes its own key through the same function, and cannot revive it
        String own = adminCall(a, t, "SELECT admin_create_api_key(?, 'own', 'hk_ownownow', repeat('6', 64), '{}', NULL)", t);
        adminCall(SESSIONS.get(Who.APP), t, "SELECT revoke_api_key(?, '" + own + "')", t);

        assertThat(owner.fetchOne("SELECT tier, email FROM customers WHERE customer_id = ?", t).intoList())
                .containsExactly("professional", "ops@adm.example");
        assertThat(owner.fetchOne("SELECT status, feature_flags::text, encryption_key_id, encode(license_key_encrypted, 'hex') "
                + "FROM licenses WHERE id = ?::uuid", lic).intoList()).containsExactly("revoked", "{\"gpu\": false}", "k2", "02");
        assertThat(owner.fetchOne("SELECT revoked_at IS NOT NULL, array_to_string(scopes, ',') FROM api_keys WHERE id = ?::uuid", key).intoList())
                .containsExactly(true, "builds:claim,builds:read");
        assertThat(fv("SELECT weight FROM build_queue_weights WHERE customer_id = ?", Integer.class, t)).isEqualTo(7);
        assertThat(owner.fetch("SELECT action || ' by ' || actor FROM audit_events WHERE tenant_id = ? ORDER BY seq", t).getValues(0, String.class))
                .containsExactly("customers.insert by " + admin, "customers.update by " + admin, "licenses.insert by " + admin,
                        "licenses.update by " + admin, "licenses.update by " + admin, "licenses.update by " + admin,
                        "licenses.update by " + admin, "api_keys.insert by " + admin, "api_keys.update by " + admin,
                        "build_queue_weights.insert by " + admin, "licenses.update by " + admin, "api_keys.insert by " + admin,
                        "api_keys.update by " + LOGINS.get(Who.APP));
        // the audit names the secret columns a re-encryption changed, never their values
        assertThat(owner.fetchValue("SELECT details::text FROM audit_events WHERE tenant_id = ? AND details -> 'changed' -> 'encryption_key_id' IS NOT NULL", t))
                .asString().contains("license_key_encrypted").doesNotContain("\\x02");
        // the caller's own actor setting stays as it was after the call
        a.setAutoCommit(false);
        try (Statement st = a.createStatement()) {
            setTenant(a, t);
            st.execute("SELECT set_config('honua.actor', 'ops-tool', true)");
            st.execute("SELECT admin_update_customer('" + t + "', 'enterprise', NULL, NULL, NULL, NULL)");
            try (ResultSet rs = st.executeQuery("SELECT current_setting('honua.actor', true)")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ops-tool");
            }
            a.commit();
        } finally {
            a.rollback();
            a.setAutoCommit(true);
        }
        assertThat(owner.fetchValue("SELECT actor FROM audit_events WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1", t)).hasToString("ops-tool");
        assertThat(fx.honua().audit().verifyChain(t).isValid()).isTrue();
    }

    /** Runs one call in its own transaction with the tenant set; the first column of its row as text. */
    private static String adminCall(Connection c, String tenant, String sql, String customer) throws SQLException {
        c.setAutoCommit(false);
        try {
            setTenant(c, tenant);
            String result;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setString(1, customer);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    result = rs.getString(1);
                }
            }
            c.commit();
            return result;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static javax.sql.DataSource workerDataSource() {
        org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
        ds.setUrl(fx.db().jdbcUrl());
        ds.setUser(LOGINS.get(Who.WORKER));
        ds.setPassword(LOGINS.get(Who.WORKER));
        return ds;
    }
}
