package io.honua.db.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.Tables;
import io.honua.db.testkit.HonuaDatabase;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Every table, function and view the specification lists exists in the database and in the generated code. */
class SchemaCatalogTest {

    static final List<String> SEED_TABLES = List.of(
            "customers", "licenses", "registry_credentials", "build_cache_registry", "build_access_log",
            "build_queue", "build_results", "build_artifacts", "build_events", "build_metrics",
            "conversations", "conversation_messages", "build_manifests", "requirement_extractions");

    static final List<String> SEED_FUNCTIONS = List.of(
            "update_cache_stats", "record_cache_access", "get_next_build_for_worker", "update_build_progress",
            "handle_build_timeouts", "retry_failed_build", "update_conversation_stats", "expire_old_conversations",
            "revoke_expired_credentials", "expire_licenses", "cleanup_old_build_logs", "purge_soft_deleted_records",
            "get_cache_hit_rate", "get_license_quota_usage");

    static final List<String> SEED_VIEWS = List.of(
            "active_builds", "build_performance_summary", "customer_build_usage", "active_conversations",
            "conversation_performance_summary", "intent_analytics", "extraction_accuracy");

    /** V8: partition upkeep and the cache-access rollup. */
    static final List<String> V8_TABLES = List.of("partition_policies", "cache_access_daily");
    static final List<String> V8_FUNCTIONS = List.of("maintain_partitions", "list_partitions", "rollup_cache_access", "get_build_performance");
    /** Added by V9__intake.sql. */
    static final List<String> INTAKE_FUNCTIONS = List.of(
            "conversations_status_guard", "conversation_messages_guard", "manifest_digest", "build_manifests_guard",
            "create_manifest_version");

    /** Added by V9__intake.sql: trigger name and table. */
    static final List<List<String>> INTAKE_TRIGGERS = List.of(
            List.of("trg_conversations_status_guard", "conversations"),
            List.of("trg_conversation_messages_guard", "conversation_messages"),
            List.of("trg_build_manifests_guard", "build_manifests"));

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    static DSLContext dsl;

    @BeforeAll
    static void connect() {
        dsl = DSL.using(db.dataSource(), SQLDialect.POSTGRES);
    }

    private static String relkind(String name) {
        return dsl.fetchValue(DSL.select(DSL.field("c.relkind::text", String.class))
                .from(DSL.table("pg_class c")).join(DSL.table("pg_namespace n")).on(DSL.field("n.oid").eq(DSL.field("c.relnamespace")))
                .where(DSL.field("n.nspname").eq("public")).and(DSL.field("c.relname").eq(name)));
    }

    private static Set<String> generatedTables() {
        return Arrays.stream(Tables.class.getFields()).map(f -> f.getName().toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    }

    private static String camel(String snake) {
        StringBuilder sb = new StringBuilder();
        boolean up = false;
        for (char ch : snake.toCharArray()) {
            if (ch == '_') {
                up = true;
            } else {
                sb.append(up ? Character.toUpperCase(ch) : ch);
                up = false;
            }
        }
        return sb.toString();
    }

    @ParameterizedTest
    @FieldSource("SEED_TABLES")
    void tableExistsAndIsGenerated(String table) {
        assertThat(relkind(table)).as("%s is an ordinary or partitioned table", table).isIn("r", "p");
        assertThat(generatedTables()).contains(table);
    }

    @ParameterizedTest
    @FieldSource("SEED_VIEWS")
    void viewExistsAndIsGenerated(String view) {
        assertThat(relkind(view)).as("%s is a view", view).isEqualTo("v");
        assertThat(generatedTables()).contains(view);
    }

    @ParameterizedTest
    @FieldSource("SEED_FUNCTIONS")
    void functionExistsAndIsGenerated(String function) {
        int count = dsl.fetchCount(DSL.selectOne().from(DSL.table("pg_proc p")).join(DSL.table("pg_namespace n"))
                .on(DSL.field("n.oid").eq(DSL.field("p.pronamespace")))
                .where(DSL.field("n.nspname").eq("public")).and(DSL.field("p.proname").eq(function)));
        assertThat(count).as("%s in pg_proc", function).isEqualTo(1);
        Set<String> routines = Arrays.stream(Routines.class.getMethods()).map(Method::getName).collect(Collectors.toSet());
        assertThat(routines.contains(camel(function)) || generatedTables().contains(function))
                .as("%s has a generated routine or table-valued function", function).isTrue();
    }

    @ParameterizedTest
    @FieldSource("SEED_TABLES")
    void tablesWithUpdatedAtMaintainItByTrigger(String table) {
        boolean hasUpdatedAt = dsl.fetchExists(DSL.selectOne().from(DSL.table("information_schema.columns"))
                .where(DSL.field("table_schema").eq("public")).and(DSL.field("table_name").eq(table))
                .and(DSL.field("column_name").eq("updated_at")));
        if (hasUpdatedAt) {
            assertThat(dsl.fetchExists(DSL.selectOne().from(DSL.table("pg_trigger t")).join(DSL.table("pg_class c"))
                    .on(DSL.field("c.oid").eq(DSL.field("t.tgrelid")))
                    .where(DSL.field("c.relname").eq(table)).and(DSL.field("t.tgname").eq("trg_" + table + "_updated_at"))))
                    .as("%s has an updated_at trigger", table).isTrue();
        }
    }

    // ---- V7 (build cache) ---------------------------------------------------------------------------------------

    static final List<String> CACHE_FUNCTIONS = List.of(
            "cache_tier_rank", "customer_cache_tier_rank", "cache_lookup", "cache_lookup_and_record", "cache_register",
            "record_cache_accesses", "prune_cache_access_batches");

    @ParameterizedTest
    @FieldSource("CACHE_FUNCTIONS")
    void cacheFunctionExistsAndIsGenerated(String function) {
        functionExistsAndIsGenerated(function);
    }

    @org.junit.jupiter.api.Test
    void cacheBatchLedgerExistsAndHitStatisticsAreAStatementTrigger() {
        assertThat(relkind("cache_access_batches")).isEqualTo("r");
        assertThat(generatedTables()).contains("cache_access_batches");
        // tgtype bit 0 set = FOR EACH ROW; the statistics trigger is FOR EACH STATEMENT with a NEW TABLE transition table
        assertThat(dsl.fetchValue(DSL.select(DSL.field("(t.tgtype & 1 = 0) AND t.tgnewtable IS NOT NULL", Boolean.class))
                .from(DSL.table("pg_trigger t")).join(DSL.table("pg_class c")).on(DSL.field("c.oid").eq(DSL.field("t.tgrelid")))
                .where(DSL.field("c.relname").eq("build_access_log")).and(DSL.field("t.tgname").eq("trg_build_access_log_cache_stats"))))
                .isTrue();
    }

    @ParameterizedTest
    @FieldSource("V8_TABLES")
    void v8TableExistsAndIsGenerated(String table) {
        assertThat(relkind(table)).as("%s is an ordinary table", table).isEqualTo("r");
        assertThat(generatedTables()).contains(table);
    }

    @ParameterizedTest
    @FieldSource("V8_FUNCTIONS")
    void v8FunctionExists(String function) {
        assertThat(dsl.fetchCount(DSL.selectOne().from(DSL.table("pg_proc p")).join(DSL.table("pg_namespace n"))
                .on(DSL.field("n.oid").eq(DSL.field("p.pronamespace")))
                .where(DSL.field("n.nspname").eq("public")).and(DSL.field("p.proname").eq(function))))
                .as("%s in pg_proc", function).isEqualTo(1);
    }

    @org.junit.jupiter.api.Test
    void accessLogRollupIsAStatementTriggerWithATransitionTable() {
        // tgtype bit 0 set = row-level; tgnewtable = REFERENCING NEW TABLE name
        var row = dsl.fetchOne(DSL.select(DSL.field("t.tgtype & 1", Integer.class), DSL.field("t.tgnewtable::text", String.class))
                .from(DSL.table("pg_trigger t")).join(DSL.table("pg_class c")).on(DSL.field("c.oid").eq(DSL.field("t.tgrelid")))
                .where(DSL.field("c.relname").eq("build_access_log")).and(DSL.field("t.tgname").eq("trg_build_access_log_rollup")));
        assertThat(row).isNotNull();
        assertThat(row.value1()).isZero();
        assertThat(row.value2()).isEqualTo("new_rows");
    }

    @ParameterizedTest
    @FieldSource("INTAKE_FUNCTIONS")
    void intakeFunctionExists(String function) {
        int count = dsl.fetchCount(DSL.selectOne().from(DSL.table("pg_proc p")).join(DSL.table("pg_namespace n"))
                .on(DSL.field("n.oid").eq(DSL.field("p.pronamespace")))
                .where(DSL.field("n.nspname").eq("public")).and(DSL.field("p.proname").eq(function)));
        assertThat(count).as("%s in pg_proc", function).isEqualTo(1);
    }

    @ParameterizedTest
    @FieldSource("INTAKE_TRIGGERS")
    void intakeTriggerExists(List<String> trigger) {
        assertThat(dsl.fetchExists(DSL.selectOne().from(DSL.table("pg_trigger t")).join(DSL.table("pg_class c"))
                .on(DSL.field("c.oid").eq(DSL.field("t.tgrelid")))
                .where(DSL.field("c.relname").eq(trigger.get(1))).and(DSL.field("t.tgname").eq(trigger.get(0)))))
                .as("%s on %s", trigger.get(0), trigger.get(1)).isTrue();
    }

    @ParameterizedTest
    @FieldSource("SEED_TABLES")
    void seedTablesHaveForcedRowLevelSecurity(String table) {
        Boolean forced = dsl.fetchValue(DSL.select(DSL.field("c.relrowsecurity AND c.relforcerowsecurity", Boolean.class))
                .from(DSL.table("pg_class c")).where(DSL.field("c.oid").eq(DSL.field("{0}::regclass", Object.class, DSL.val(table)))));
        assertThat(forced).as("%s has ENABLE + FORCE ROW LEVEL SECURITY", table).isTrue();
    }

    @org.junit.jupiter.api.Test
    void tenancyObjectsExist() {
        assertThat(generatedTables()).contains("audit_events", "maintenance_runs");
        for (String role : List.of("honua_app", "honua_worker")) {
            assertThat(dsl.fetchExists(DSL.selectOne().from(DSL.table("pg_roles")).where(DSL.field("rolname").eq(role))))
                    .as("role %s", role).isTrue();
        }
    }
    // ---- V11: licensing, credentials, API keys ------------------------------------------------------------------------
    static final List<String> V11_TABLES = List.of("api_keys", "license_build_usage");

    static final List<String> V11_FUNCTIONS = List.of(
            "license_is_valid", "current_quota_month", "feature_flags_valid", "build_queue_license_quota",
            "registry_credentials_license_quota", "verify_license_key", "api_key_scopes_valid", "verify_api_key",
            "encrypted_rows_not_under_key", "encryption_key_usage", "license_feature_flags", "licenses_expiring_within",
            "invalid_registry_credentials");

    @ParameterizedTest
    @FieldSource("V11_TABLES")
    void v11TableExistsAndIsGenerated(String table) {
        tableExistsAndIsGenerated(table);
        tablesWithUpdatedAtMaintainItByTrigger(table);
    }

    @ParameterizedTest
    @FieldSource("V11_FUNCTIONS")
    void v11FunctionExistsAndIsGenerated(String function) {
        functionExistsAndIsGenerated(function);
    }
}
