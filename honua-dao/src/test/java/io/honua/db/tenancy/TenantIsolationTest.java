package io.honua.db.tenancy;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.Tenancy;
import io.honua.db.queue.Build;
import io.honua.db.queue.NewBuild;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.postgresql.PGConnection;

/**
 * Tenant A, connected as the application role {@code honua_app}, tries to reach tenant B's rows. Each attempt says
 * whether the database is expected to stop it and by what:
 * <ul>
 *   <li>RLS USING: rows of B are invisible to SELECT, UPDATE, DELETE, joins, sub-queries, views (security_invoker),
 *       functions (SECURITY INVOKER) and COPY (query form).</li>
 *   <li>RLS WITH CHECK: rows A writes must be A's (insert for B, moving a row to B, references to B's rows).</li>
 *   <li>Privileges: TRUNCATE, DDL, direct partition access, role switching are refused.</li>
 *   <li>Not stopped by design: a statement running as honua_app may call set_config to switch its own tenant (the
 *       application is trusted with the tenant setting); the switch ends with the transaction.</li>
 * </ul>
 */
class TenantIsolationTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(4);

    static final List<String> TENANT_TABLES = List.of("customers", "licenses", "registry_credentials", "build_access_log",
            "build_queue", "build_queue_slots", "build_results", "build_artifacts", "build_events", "build_metrics",
            "build_dependencies", "conversations", "conversation_messages", "build_manifests", "requirement_extractions",
            "audit_events", "cache_access_daily", "api_keys", "license_build_usage");

    static DSLContext admin;
    static DSLContext app;
    static final String A = "iso-a";
    static final String B = "iso-b";
    static UUID buildA;
    static UUID buildB;

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        app = DSL.using(fx.appPool(), SQLDialect.POSTGRES);
        for (String t : List.of(A, B)) {
            Fixtures.customer(admin, t);
            Fixtures.license(admin, t, 5);
            admin.execute("INSERT INTO registry_credentials (customer_id, registry_type, registry_name, registry_url, username, "
                    + "encrypted_secret, encryption_key_id) VALUES (?, 'dockerhub', 'hub', 'https://hub', 'u', '\\x01', 'k1')", t);
            UUID build = fv(admin, "INSERT INTO build_queue (customer_id) VALUES (?) RETURNING id", UUID.class, t);
            admin.execute("INSERT INTO build_results (build_id, success, stdout_log) VALUES (?, true, 'secret log of ' || ?)", build, t);
            admin.execute("INSERT INTO build_artifacts (build_id, artifact_type, name, uri, content_hash) VALUES (?, 'sbom', 'sbom', 's3://x', ?)",
                    build, Fixtures.sha256(t));
            admin.execute("INSERT INTO build_metrics (build_id, metric_name, metric_value) VALUES (?, 'cpu', 1)", build);
            UUID conv = fv(admin, "INSERT INTO conversations (customer_id, model) VALUES (?, 'gpt') RETURNING id", UUID.class, t);
            admin.execute("INSERT INTO conversation_messages (conversation_id, role, content) VALUES (?, 'user', 'hello from ' || ?)", conv, t);
            UUID manifest = fv(admin, "INSERT INTO build_manifests (customer_id, conversation_id, name, manifest, manifest_digest) "
                    + "VALUES (?, ?, 'm', '{}', ?) RETURNING id", UUID.class, t, conv, Fixtures.sha256("m" + t));
            admin.execute("INSERT INTO requirement_extractions (conversation_id, manifest_id, requirement_type, extracted_value, confidence) "
                    + "VALUES (?, ?, 'language', '\"java\"', 0.9)", conv, manifest);
            admin.execute("SELECT record_cache_access(?, ?, 'free', false)", t, Fixtures.sha256("cache"));
            admin.execute("INSERT INTO api_keys (customer_id, name, key_prefix, key_hash) VALUES (?, 'k', 'hk_abcdefgh', ?)",
                    t, Fixtures.sha256("api-key-" + t));
            if (t.equals(A)) {
                buildA = build;
            } else {
                buildB = build;
            }
        }
        UUID depOn = fv(admin, "INSERT INTO build_queue (customer_id) VALUES (?) RETURNING id", UUID.class, B);
        admin.execute("INSERT INTO build_dependencies (build_id, depends_on_build_id) VALUES (?, ?)", buildB, depOn);
        admin.execute("INSERT INTO build_cache_registry (manifest_hash, tier, image_reference, image_digest, created_by_customer_id) "
                + "VALUES (?, 'free', 'registry/b:1', 'sha256:b', ?)", Fixtures.sha256("cache-b"), B);
    }

    static <T> T fv(DSLContext ctx, String sql, Class<T> type, Object... binds) {
        return ctx.resultQuery(sql, binds).fetchOne(0, type);
    }

    static <T> T as(String tenant, String sql, Class<T> type, Object... binds) {
        return asTenant(tenant, tx -> fv(tx, sql, type, binds));
    }

    static int execAs(String tenant, String sql, Object... binds) {
        return asTenant(tenant, tx -> tx.execute(sql, binds));
    }

    static List<String> stringsAs(String tenant, String sql, Object... binds) {
        return asTenant(tenant, tx -> tx.fetch(sql, binds).getValues(0, String.class));
    }

    static org.jooq.Result<org.jooq.Record> fetchAs(String tenant, String sql, Object... binds) {
        return asTenant(tenant, tx -> tx.fetch(sql, binds));
    }

    static <T> T asTenant(String tenant, Function<DSLContext, T> work) {
        return Tenancy.inTenant(app, tenant, work);
    }

    static long adminCount(String table, String tenant) {
        return switch (table) {
            case "build_results", "build_artifacts", "build_events", "build_metrics", "build_dependencies" ->
                    fv(admin, "SELECT count(*) FROM " + table + " x JOIN build_queue q ON q.id = x.build_id WHERE q.customer_id = ?", Long.class, tenant);
            case "conversation_messages", "requirement_extractions" ->
                    fv(admin, "SELECT count(*) FROM " + table + " x JOIN conversations c ON c.id = x.conversation_id WHERE c.customer_id = ?", Long.class, tenant);
            case "audit_events" -> fv(admin, "SELECT count(*) FROM audit_events WHERE tenant_id = ?", Long.class, tenant);
            default -> fv(admin, "SELECT count(*) FROM " + table + " WHERE customer_id = ?", Long.class, tenant);
        };
    }

    // ---- no tenant: nothing -------------------------------------------------------------------------------------------

    @ParameterizedTest
    @FieldSource("TENANT_TABLES")
    void withoutTenantTheApplicationRoleSeesNothing(String table) {
        assertThat(adminCount(table, B)).as("B has rows in %s", table).isPositive();
        assertThat(fv(app, "SELECT count(*) FROM " + table, Long.class)).isZero();
        assertThat(fv(app, "SELECT current_user", String.class)).isEqualTo(Fixtures.APP_LOGIN);
    }

    @ParameterizedTest
    @FieldSource("TENANT_TABLES")
    void tenantSeesExactlyItsOwnRows(String table) {
        long own = as(A, "SELECT count(*) FROM " + table, Long.class);
        assertThat(own).isEqualTo(adminCount(table, A));
    }

    // ---- crafted attempts ---------------------------------------------------------------------------------------------

    @Test
    void attempt01_selectByOtherTenantsIdFindsNothing() {
        // stopped by RLS USING
        assertThat(as(A, "SELECT count(*) FROM build_queue WHERE customer_id = ?", Long.class, B)).isZero();
        assertThat(as(A, "SELECT count(*) FROM build_results WHERE build_id = ?", Long.class, buildB)).isZero();
        assertThat(as(A, "SELECT count(*) FROM customers WHERE customer_id = ?", Long.class, B)).isZero();
    }

    @Test
    void attempt02_updateWithoutWhereChangesOnlyOwnRows() {
        // stopped by RLS USING: B's rows are not candidates for the UPDATE
        long before = fv(admin, "SELECT count(*) FROM conversations WHERE customer_id = ? AND detected_intent IS NULL", Long.class, B);
        int n = asTenant(A, tx -> tx.execute("UPDATE conversations SET detected_intent = 'hacked'"));
        assertThat(n).isEqualTo((int) adminCount("conversations", A));
        assertThat(fv(admin, "SELECT count(*) FROM conversations WHERE customer_id = ? AND detected_intent IS NULL", Long.class, B))
                .isEqualTo(before).isPositive();
    }

    @Test
    void attempt03_deleteWithoutWhereDeletesOnlyOwnRows() {
        // V13 (issue 12): stopped earlier than by RLS now: the application role holds no DELETE privilege at all
        long a = adminCount("build_metrics", A);
        long b = adminCount("build_metrics", B);
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("DELETE FROM build_metrics")))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(adminCount("build_metrics", A)).isEqualTo(a);
        assertThat(adminCount("build_metrics", B)).isEqualTo(b).isPositive();
        long licensesB = adminCount("licenses", B);
        assertThatThrownBy(() -> execAs(A, "DELETE FROM licenses WHERE customer_id = ?", B))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(adminCount("licenses", B)).isEqualTo(licensesB);
    }

    @Test
    void attempt04_joinAcrossTenantsReturnsOnlyOwnRows() {
        List<String> owners = asTenant(A, tx -> tx.fetch("SELECT DISTINCT q.customer_id FROM build_events e "
                + "JOIN build_queue q ON q.id = e.build_id FULL JOIN customers c ON c.customer_id = q.customer_id")
                .getValues(0, String.class));
        assertThat(owners).containsOnly(A);
        assertThat(stringsAs(A, "SELECT m.content FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id")).containsExactly("hello from " + A);
    }

    @Test
    void attempt05_subqueriesAndCtesSeeOnlyOwnRows() {
        assertThat(as(A, "SELECT count(*) FROM customers WHERE customer_id IN (SELECT customer_id FROM build_queue)",
                Long.class)).isEqualTo(1);
        assertThat(as(A, "WITH RECURSIVE x AS (SELECT stdout_log FROM build_results) "
                + "SELECT string_agg(stdout_log, ',') FROM x", String.class)).isEqualTo("secret log of " + A);
        assertThat(as(A, "SELECT EXISTS (SELECT 1 FROM registry_credentials WHERE customer_id = ?)", Boolean.class, B))
                .isFalse();
    }

    @Test
    void attempt06_viewsRunWithTheCallersRights() {
        // stopped because every view is security_invoker: the policies of the querying role apply inside
        assertThat(stringsAs(A, "SELECT customer_id FROM customer_build_usage")).containsOnly(A);
        assertThat(stringsAs(A, "SELECT customer_id FROM active_builds")).containsOnly(A);
        assertThat(stringsAs(A, "SELECT customer_id FROM active_conversations")).containsOnly(A);
        assertThat(as(A, "SELECT sum(conversations) FROM conversation_performance_summary", Long.class)).isEqualTo(1);
        assertThat(as(A, "SELECT sum(extractions) FROM extraction_accuracy", Long.class)).isEqualTo(1);
        assertThat(fv(app, "SELECT count(*) FROM customer_build_usage", Long.class)).isZero();
    }

    @Test
    void attempt07_functionsRunWithTheCallersRights() {
        // stopped because the functions are SECURITY INVOKER (the only SECURITY DEFINER one is a trigger, see below)
        assertThat(fetchAs(A, "SELECT * FROM get_license_quota_usage(?)", B)).isEmpty();
        assertThat(stringsAs(A, "SELECT customer_id FROM get_cache_hit_rate(NULL, 7)"))
                .containsOnly(A);
        assertThat(stringsAs(A, "SELECT customer_id FROM stuck_builds(0)")).doesNotContain(B);
        // the maintenance functions only reach the caller's tenant
        // (two extra idle conversations, one per tenant: abandoning is final, the fixtures' conversations stay active)
        UUID idleA = fv(admin, "INSERT INTO conversations (customer_id, model, last_activity_at) VALUES (?, 'gpt', now() - interval '2 days') "
                + "RETURNING id", UUID.class, A);
        UUID idleB = fv(admin, "INSERT INTO conversations (customer_id, model, last_activity_at) VALUES (?, 'gpt', now() - interval '2 days') "
                + "RETURNING id", UUID.class, B);
        // V13 (issue 12): cross-tenant maintenance functions are the service role's only
        assertThatThrownBy(() -> as(A, "SELECT expire_old_conversations(24)", Integer.class))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(fv(admin, "SELECT status FROM conversations WHERE id = ?", String.class, idleA)).isEqualTo("active");
        assertThat(fv(admin, "SELECT status FROM conversations WHERE id = ?", String.class, idleB)).isEqualTo("active");
        admin.execute("DELETE FROM conversations WHERE id IN (?, ?)", idleA, idleB);
    }

    @Test
    void attempt08_copyToReturnsOnlyOwnRowsAndCopyFromIsRefused() {
        // COPY (query) TO and COPY table TO are both answered through the policies; COPY FROM is refused for roles
        // subject to RLS (SQLSTATE 0A000)
        for (String copy : List.of("COPY (SELECT customer_id FROM registry_credentials) TO STDOUT", "COPY registry_credentials (customer_id) TO STDOUT")) {
            String out = asTenant(A, tx -> tx.connectionResult(c -> {
                StringWriter w = new StringWriter();
                c.unwrap(PGConnection.class).getCopyAPI().copyOut(copy, w);
                return w.toString();
            }));
            assertThat(out.strip()).as(copy).isEqualTo(A);
        }
        long before = adminCount("build_queue", B);
        assertThatThrownBy(() -> asTenant(A, tx -> tx.connectionResult(c -> c.unwrap(PGConnection.class).getCopyAPI()
                .copyIn("COPY build_queue (customer_id) FROM STDIN", new java.io.StringReader(B + "\n")))))
                .hasStackTraceContaining("COPY FROM not supported with row-level security");
        assertThat(adminCount("build_queue", B)).isEqualTo(before);
    }

    @Test
    void attempt09_insertingForAnotherTenantIsRefused() {
        // stopped by RLS WITH CHECK (SQLSTATE 42501)
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("INSERT INTO build_queue (customer_id) VALUES (?)", B)))
                .isInstanceOf(DataAccessException.class).satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("INSERT INTO build_results (build_id, success) VALUES (?, true)", UUID.randomUUID())))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("INSERT INTO customers (customer_id, name) VALUES ('iso-c', 'C')")))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(fv(admin, "SELECT count(*) FROM customers WHERE customer_id = 'iso-c'", Long.class)).isZero();
    }

    @Test
    void attempt10_movingOwnRowToAnotherTenantIsRefused() {
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("UPDATE build_queue SET customer_id = ? WHERE id = ?", B, buildA)))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(admin.fetchValue(DSL.select(BUILD_QUEUE.CUSTOMER_ID).from(BUILD_QUEUE).where(BUILD_QUEUE.ID.eq(buildA)))).isEqualTo(A);
    }

    @Test
    void attempt11_referencingAnotherTenantsRowsIsRefused() {
        // foreign keys do not apply RLS; the restrictive reference policies do
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("INSERT INTO build_dependencies (build_id, depends_on_build_id) VALUES (?, ?)",
                buildA, buildB))).satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        UUID manifestB = fv(admin, "SELECT id FROM build_manifests WHERE customer_id = ?", UUID.class, B);
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("UPDATE build_queue SET manifest_id = ? WHERE id = ?", manifestB, buildA)))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(fv(admin, "SELECT count(*) FROM build_dependencies WHERE build_id = ?", Long.class, buildA)).isZero();
    }

    @Test
    void attempt12_sharedCacheIsReadableButOnlyOwnEntriesAreWritable() {
        // build_cache_registry is shared by design: a tenant reads the entries its license tier allows (V13: through
        // the tier rule, without the registering customer); only the service role writes entries
        assertThat(as(A, "SELECT count(*) FROM build_cache_registry", Long.class)).isEqualTo(1);
        assertThatThrownBy(() -> as(A, "SELECT created_by_customer_id FROM build_cache_registry", String.class))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThatThrownBy(() -> execAs(A, "UPDATE build_cache_registry SET image_reference = 'evil/image:1'"))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThatThrownBy(() -> execAs(A, "DELETE FROM build_cache_registry"))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        // a logged hit updates any entry's statistics (SECURITY DEFINER trigger), nothing else
        as(A, "SELECT record_cache_access(?, ?, 'free', true)", Long.class, A, Fixtures.sha256("cache-b"));
        assertThat(fv(admin, "SELECT hit_count FROM build_cache_registry", Long.class)).isEqualTo(1);
        assertThat(fv(admin, "SELECT image_reference FROM build_cache_registry", String.class)).isEqualTo("registry/b:1");
    }

    @Test
    void attempt13_directPartitionAccessIsRefused() {
        // partitions carry no privileges for honua_app (and have the same policies)
        assertThatThrownBy(() -> as(A, "SELECT count(*) FROM build_events_default", Long.class))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThatThrownBy(() -> as(A, "SELECT count(*) FROM conversation_messages_default", Long.class))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
    }

    @Test
    void attempt13b_partitionsCreatedLaterByMaintenanceAreLockedDownToo() {
        // maintain_partitions() creates this and next periods' partitions; the application role may not run it ...
        assertThatThrownBy(() -> as(A, "SELECT count(*) FROM maintain_partitions()", Long.class))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        long created = fv(admin, "SELECT count(*) FROM maintain_partitions() WHERE action = 'created'", Long.class);
        List<String> partitions = admin.fetch("SELECT i.inhrelid::regclass::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
                + "WHERE p.relkind = 'p' AND p.relnamespace = 'public'::regnamespace").getValues(0, String.class);
        assertThat(partitions.size()).isGreaterThan(4);
        assertThat(created).isPositive();
        // ... and no partition, old or new, is readable directly by it or lacks forced row-level security
        for (String part : partitions) {
            assertThat(fv(admin, "SELECT has_table_privilege('honua_app', ?::regclass, 'SELECT,INSERT,UPDATE,DELETE')", Boolean.class, part))
                    .as("honua_app privileges on %s", part).isFalse();
            assertThat(fv(admin, "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = ?::regclass", Boolean.class, part))
                    .as("forced RLS on %s", part).isTrue();
        }
        // rows written through the parent into a new partition are still separated by tenant
        execAs(B, "INSERT INTO build_metrics (build_id, metric_name, metric_value) VALUES (?, 'later', 2)", buildB);
        assertThat(as(A, "SELECT count(*) FROM build_metrics WHERE metric_name = 'later'", Long.class)).isZero();
        assertThat(as(B, "SELECT count(*) FROM build_metrics WHERE metric_name = 'later'", Long.class)).isEqualTo(1);
    }

    @Test
    void attempt14_roleSwitchingIsRefused() {
        for (String role : List.of("honua_worker", "postgres")) {
            assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("SET ROLE " + role)))
                    .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        }
        assertThatThrownBy(() -> asTenant(A, tx -> tx.execute("SET SESSION AUTHORIZATION postgres")))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
    }

    @Test
    void attempt15_switchingTheTenantSettingIsNotStoppedButEndsWithTheTransaction() {
        // NOT stopped (documented trust boundary): honua_app may call set_config itself
        long seen = asTenant(A, tx -> {
            tx.fetch("SELECT set_config('honua.tenant_id', ?, true)", B);
            return fv(tx, "SELECT count(*) FROM build_queue WHERE customer_id = ?", Long.class, B);
        });
        assertThat(seen).as("set_config switches the tenant inside the transaction").isPositive();
        // stopped: the setting is transaction-local and does not survive on the pooled connection
        for (int i = 0; i < 8; i++) {
            assertThat(fv(app, "SELECT count(*) FROM build_queue", Long.class)).isZero();
        }
        // an empty setting is no tenant
        Long emptyTenant = app.transactionResult(c -> {
            c.dsl().fetch("SELECT set_config('honua.tenant_id', '', true)");
            return fv(c.dsl(), "SELECT count(*) FROM customers", Long.class);
        });
        assertThat(emptyTenant).isZero();
    }

    @Test
    void attempt16_truncateAndDdlAreRefused() {
        for (String sql : List.of("TRUNCATE build_queue CASCADE", "TRUNCATE audit_events", "CREATE TABLE evil (x int)",
                "ALTER TABLE customers DISABLE ROW LEVEL SECURITY", "ALTER TABLE customers NO FORCE ROW LEVEL SECURITY",
                "DROP POLICY honua_tenant_isolation ON customers", "DROP TABLE licenses", "CREATE INDEX evil ON customers (name)",
                "ALTER TABLE build_queue DISABLE TRIGGER ALL", "CREATE POLICY evil ON customers FOR SELECT TO honua_app USING (true)",
                "CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'", "GRANT honua_worker TO " + Fixtures.APP_LOGIN,
                "SELECT honua_enable_tenant_rls('customers', 'name')")) {
            assertThatThrownBy(() -> asTenant(A, tx -> tx.execute(sql))).as(sql)
                    .isInstanceOf(DataAccessException.class)
                    .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).as(sql).isIn("42501", "0LP01"));
        }
        assertThat(adminCount("build_queue", B)).isPositive();
    }

    @Test
    void maintenanceBookkeepingIsClosedToTheApplicationRole() {
        assertThatThrownBy(() -> fv(app, "SELECT count(*) FROM maintenance_runs", Long.class))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
    }

    // ---- catalog guarantees -------------------------------------------------------------------------------------------

    @Test
    void everyTableExceptBookkeepingHasForcedRowLevelSecurity() {
        List<String> open = admin.fetch("SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
                + "AND c.relkind IN ('r', 'p') AND NOT (c.relrowsecurity AND c.relforcerowsecurity) ORDER BY 1").getValues(0, String.class);
        assertThat(open).containsExactlyInAnyOrder("flyway_schema_history", "maintenance_runs");
    }

    @Test
    void onlyAllowListedFunctionsAreSecurityDefiner() {
        List<String> definers = admin.fetch("SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.prosecdef")
                .getValues(0, String.class);
        // update_cache_stats: hit statistics of shared cache entries; the builds quota trigger counts every row of the
        // tenant; verify_*: a presented key is checked before any tenant is known; maintain_partitions: DDL for the
        // service role. V13 (issue 12): the registries quota trigger runs with the caller's rights (no side channel);
        // expire_licenses and the slot row of a new customer write state the worker / admin may no longer write.
        // build_queue_runnable_after_*: the scheduler state of an enqueueing tenant starts at the virtual time of all
        // tenants (read across tenants, nothing returned). V18: the administrative path (honua_admin has no direct
        // write on the commercial state; revoke_api_key also for the tenant, own keys only)
        assertThat(definers).containsExactlyInAnyOrder("update_cache_stats", "build_queue_license_quota",
                "verify_license_key", "verify_api_key", "maintain_partitions", "expire_licenses",
                "build_queue_slots_for_new_customer", "build_queue_runnable_after_insert", "build_queue_runnable_after_update",
                "admin_create_customer", "admin_update_customer", "admin_issue_license", "admin_set_license_status",
                "admin_reinstate_license", "admin_set_license_feature_flags", "admin_rekey_license", "admin_create_api_key",
                "revoke_api_key", "set_fair_share_weight");
    }

    @Test
    void everyViewIsSecurityInvoker() {
        List<String> views = admin.fetch("SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'v' "
                + "AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)").getValues(0, String.class);
        assertThat(views).isEmpty();
    }

    @Test
    void applicationAndWorkerRolesHoldNoTruncateAndOwnNothing() {
        assertThat(fv(admin, "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') "
                + "AND (has_table_privilege('honua_app', c.oid, 'TRUNCATE') OR has_table_privilege('honua_worker', c.oid, 'TRUNCATE'))",
                Long.class)).isZero();
        assertThat(fv(admin, "SELECT count(*) FROM pg_class c WHERE c.relowner IN ('honua_app'::regrole, 'honua_worker'::regrole)",
                Long.class)).isZero();
        assertThat(fv(admin, "SELECT rolcanlogin OR rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'honua_app'", Boolean.class)).isFalse();
        assertThat(fv(admin, "SELECT rolcanlogin OR rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = 'honua_worker'", Boolean.class)).isFalse();
        assertThat(fv(admin, "SELECT has_schema_privilege('honua_app', 'public', 'CREATE')", Boolean.class)).isFalse();
        // materialized views cannot have RLS: none may be readable by the application role
        assertThat(fv(admin, "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'm' "
                + "AND has_table_privilege('honua_app', c.oid, 'SELECT')", Long.class)).isZero();
    }

    @Test
    void tablesOfLaterMigrationsGetPrivilegesAndTheReusableTenantPolicies() {
        // what a later migration does: create a tenant-owned (partitioned) table and call honua_enable_tenant_rls
        admin.execute("CREATE TABLE later_things (id bigint GENERATED ALWAYS AS IDENTITY, customer_id text NOT NULL, "
                + "at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
        admin.execute("CREATE TABLE later_things_default PARTITION OF later_things DEFAULT");
        admin.execute("SELECT honua_enable_tenant_rls('later_things', 'customer_id')");
        admin.execute("INSERT INTO later_things (customer_id) VALUES (?), (?), (?)", A, B, B);
        // V13 (issue 12): no automatic grant for the application role any more; a later migration grants what it needs
        assertThat(fv(admin, "SELECT has_table_privilege('honua_app', 'later_things', 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE')", Boolean.class)).isFalse();
        admin.execute("GRANT SELECT, INSERT ON later_things TO honua_app");
        assertThat(fv(admin, "SELECT has_table_privilege('honua_app', 'later_things', 'SELECT,INSERT')", Boolean.class)).isTrue();
        assertThat(fv(admin, "SELECT has_table_privilege('honua_app', 'later_things', 'TRUNCATE')", Boolean.class)).isFalse();
        assertThat(as(A, "SELECT count(*) FROM later_things", Long.class)).isEqualTo(1);
        assertThatThrownBy(() -> as(A, "SELECT count(*) FROM later_things_default", Long.class)).as("partition closed to direct access")
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(fv(app, "SELECT count(*) FROM later_things", Long.class)).isZero();
        assertThatThrownBy(() -> execAs(A, "INSERT INTO later_things (customer_id) VALUES (?)", B))
                .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        admin.execute("DROP TABLE later_things");
    }

    @Test
    void partitionsCreatedAtRunTimeAreClosedToDirectAccess() {
        // what partition upkeep does at run time, without calling any honua_* function
        admin.execute("CREATE TABLE build_events_y2031m01 PARTITION OF build_events FOR VALUES FROM ('2031-01-01') TO ('2031-02-01')");
        admin.execute("CREATE TABLE build_access_log_y2031m01 (LIKE build_access_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)");
        admin.execute("ALTER TABLE build_access_log ATTACH PARTITION build_access_log_y2031m01 FOR VALUES FROM ('2031-01-01') TO ('2031-02-01')");
        admin.execute("INSERT INTO build_access_log (customer_id, manifest_hash, tier, access_type, accessed_at) VALUES (?, ?, 'free', 'miss', '2031-01-05')",
                B, Fixtures.sha256("future"));
        // the event trigger needs a superuser migration (managed PostgreSQL: not created; maintain_partitions secures
        // its own partitions, PartitionMaintenanceTest); direct access is refused either way (no privilege, V13)
        boolean eventTrigger = fv(admin, "SELECT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'honua_secure_partitions')", Boolean.class);
        for (String part : List.of("build_events_y2031m01", "build_access_log_y2031m01")) {
            assertThat(fv(admin, "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = ?::regclass", Boolean.class, part))
                    .as(part).isEqualTo(eventTrigger);
            assertThatThrownBy(() -> as(A, "SELECT count(*) FROM " + part, Long.class)).as(part)
                    .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        }
        // through the parent the policies apply as before
        assertThat(as(A, "SELECT count(*) FROM build_access_log WHERE accessed_at >= '2031-01-01'", Long.class)).isZero();
        assertThat(as(B, "SELECT count(*) FROM build_access_log WHERE accessed_at >= '2031-01-01'", Long.class)).isEqualTo(1);
        admin.execute("DROP TABLE build_events_y2031m01");
        admin.execute("DROP TABLE build_access_log_y2031m01");
    }

    // ---- through the DAO ----------------------------------------------------------------------------------------------

    @Test
    void scopedDaosNeitherSeeNorChangeAnotherTenant() {
        TenantScope scopeA = fx.app().forTenant(A);
        assertThat(scopeA.customers().find(A)).isPresent();
        assertThat(scopeA.customers().find(B)).isEmpty();
        assertThatThrownBy(() -> scopeA.customers().update(B, CustomerUpdate.builder().name("pwned").build()))
                .isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> scopeA.customers().softDelete(B)).isInstanceOf(UnknownCustomerException.class);
        assertThat(admin.fetchValue(DSL.select(CUSTOMERS.NAME).from(CUSTOMERS).where(CUSTOMERS.CUSTOMER_ID.eq(B)))).isEqualTo("Customer " + B);
        assertThat(admin.fetchValue(DSL.select(CUSTOMERS.DELETED_AT).from(CUSTOMERS).where(CUSTOMERS.CUSTOMER_ID.eq(B)))).isNull();

        var queueA = scopeA.buildQueue();
        assertThat(queueA.find(buildB)).isEmpty();
        assertThatThrownBy(() -> queueA.cancel(buildB, "pwned")).isInstanceOf(UnknownBuildException.class);
        assertThat(queueA.depthByCustomer()).allSatisfy(d -> assertThat(d.customerId()).isEqualTo(A));
        assertThatThrownBy(() -> queueA.enqueue(NewBuild.builder(B).build())).isInstanceOf(io.honua.db.core.HonuaException.class);
        Build mine = queueA.enqueue(NewBuild.builder(A).priority(9).build());
        assertThat(queueA.claim("tenant-worker", 10)).extracting(Build::customerId).containsOnly(A).contains(A);
        assertThat(fv(admin, "SELECT status FROM build_queue WHERE id = ?", String.class, buildB)).isEqualTo("queued");
        assertThat(fv(admin, "SELECT count(*) FROM build_queue WHERE customer_id = ?", Long.class, B)).isEqualTo(2);
        assertThat(mine.customerId()).isEqualTo(A);
    }
}
