package io.honua.db.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testkit.HonuaDatabase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Catalog rules for every function of the schema (issue 12): each one — trigger, SECURITY DEFINER or not — pins
 * {@code search_path} to {@code pg_catalog, public, pg_temp} (pg_temp last, so a temporary table cannot shadow a
 * schema table), none is executable by PUBLIC, no function is created executable by PUBLIC later, and the application
 * roles cannot create objects in the schema. Extension functions (pgcrypto, uuid-ossp) are the extensions' own and
 * are only checked for PUBLIC.
 */
class FunctionSecurityCatalogTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    private static final String OWN = "p.pronamespace = 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            + "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')";

    private <T> T fv(String sql, Class<T> type, Object... binds) {
        return admin().fetchOne(sql, binds).get(0, type);
    }

    private DSLContext admin() {
        return DSL.using(db.dataSource(), SQLDialect.POSTGRES);
    }

    @Test
    void everyFunctionPinsSearchPathWithPgTempLast() {
        List<String> functions = admin().fetch("SELECT p.oid::regprocedure::text FROM pg_proc p WHERE " + OWN)
                .getValues(0, String.class);
        assertThat(functions).hasSizeGreaterThan(60);
        List<String> unpinned = admin().fetch("SELECT p.oid::regprocedure::text FROM pg_proc p WHERE " + OWN
                + " AND NOT coalesce('search_path=pg_catalog, public, pg_temp' = ANY (p.proconfig), false)"
                + " ORDER BY 1").getValues(0, String.class);
        assertThat(unpinned).as("functions without SET search_path = pg_catalog, public, pg_temp").isEmpty();
    }

    @Test
    void noFunctionIsExecutableByPublic() {
        // the schema's own functions, and the extensions' functions when the migration user owns them (a superuser
        // created the extensions). A non-superuser creating the trusted extensions pgcrypto / uuid-ossp does not own
        // their functions (the bootstrap superuser does) and cannot revoke PUBLIC's EXECUTE on them: README says so.
        List<String> open = admin().fetch("SELECT p.oid::regprocedure::text FROM pg_proc p "
                + "WHERE p.pronamespace = 'public'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE') "
                + "AND ((" + OWN + ") OR pg_has_role(current_user, p.proowner, 'USAGE')) ORDER BY 1")
                .getValues(0, String.class);
        assertThat(open).as("functions PUBLIC may execute").isEmpty();
        assertThat(fv("SELECT count(*) FROM pg_proc p WHERE " + OWN, Long.class)).isGreaterThan(60);
    }

    @Test
    void functionsCreatedLaterAreNotExecutableByPublic() {
        DSLContext admin = admin();
        admin.execute("CREATE FUNCTION public.later_fn() RETURNS int LANGUAGE sql SET search_path = pg_catalog, public, pg_temp AS 'SELECT 1'");
        try {
            assertThat(fv("SELECT has_function_privilege('public', 'public.later_fn()', 'EXECUTE')", Boolean.class)).isFalse();
            assertThat(fv("SELECT has_function_privilege('honua_app', 'public.later_fn()', 'EXECUTE')", Boolean.class)).isFalse();
        } finally {
            admin.execute("DROP FUNCTION public.later_fn()");
        }
    }

    @Test
    void securityDefinerFunctionsAreFewAndNamed() {
        List<String> definers = admin().fetch("SELECT p.proname::text FROM pg_proc p WHERE " + OWN + " AND p.prosecdef ORDER BY 1")
                .getValues(0, String.class);
        assertThat(definers).containsExactlyInAnyOrder("build_queue_license_quota", "build_queue_runnable_after_insert",
                "build_queue_runnable_after_update", "build_queue_slots_for_new_customer", "expire_licenses",
                "maintain_partitions", "update_cache_stats", "verify_api_key", "verify_license_key",
                // the administrative path (issue 12, V18): honua_admin writes the commercial state only through these
                "admin_create_customer", "admin_update_customer", "admin_issue_license", "admin_set_license_status",
                "admin_reinstate_license", "admin_set_license_feature_flags", "admin_rekey_license",
                "admin_create_api_key", "revoke_api_key", "set_fair_share_weight");
        // and only honua_admin may execute them (revoke_api_key: also the tenant itself, for its own keys)
        List<String> wronglyExecutable = admin().fetch("SELECT p.oid::regprocedure::text || ' by ' || r.rolname FROM pg_proc p "
                + "CROSS JOIN (VALUES ('honua_app'), ('honua_worker'), ('public')) r(rolname) WHERE " + OWN
                + " AND p.proname IN ('admin_create_customer', 'admin_update_customer', 'admin_issue_license', "
                + "'admin_set_license_status', 'admin_reinstate_license', 'admin_set_license_feature_flags', "
                + "'admin_rekey_license', 'admin_create_api_key', 'set_fair_share_weight', 'revoke_api_key') "
                + "AND has_function_privilege(r.rolname, p.oid, 'EXECUTE') "
                + "AND NOT (p.proname = 'revoke_api_key' AND r.rolname = 'honua_app') ORDER BY 1").getValues(0, String.class);
        assertThat(wronglyExecutable).isEmpty();
    }

    @Test
    void applicationRolesCannotCreateObjectsOrOwnAnything() {
        for (String role : List.of("honua_app", "honua_worker", "honua_admin")) {
            assertThat(fv("SELECT has_schema_privilege(?, 'public', 'CREATE')", Boolean.class, role)).as(role).isFalse();
            assertThat(fv("SELECT rolcanlogin OR rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb "
                    + "FROM pg_roles WHERE rolname = ?", Boolean.class, role)).as(role).isFalse();
            assertThat(fv("SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
                    + "AND pg_get_userbyid(c.relowner) = ?", Long.class, role)).as(role).isZero();
        }
    }

    @Test
    void everyRowSecurityTableHasAnOwnerPolicy() {
        List<String> missing = admin().fetch("SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
                + "AND c.relkind IN ('r', 'p') AND c.relrowsecurity AND NOT EXISTS (SELECT 1 FROM pg_policy p "
                + "WHERE p.polrelid = c.oid AND p.polname = 'honua_owner_all') ORDER BY 1").getValues(0, String.class);
        assertThat(missing).as("RLS tables whose owner (SECURITY DEFINER code) would see no row unless a superuser").isEmpty();
    }

    /**
     * Every function body names the schema of what it touches: the tables, views and functions of {@code public}
     * are written {@code public.name} (comments and string literals aside; dynamic SQL builds names from
     * {@code regclass} values). With search_path pinned this is the second fence: a body stays correct whatever
     * the search_path it would run under.
     */
    @Test
    void everyFunctionSchemaQualifiesWhatItTouches() {
        // what an unqualified reference looks like, per object of the schema (compiled once, matched against every body)
        Map<String, Pattern> references = new LinkedHashMap<>();
        for (String f : admin().fetch("SELECT DISTINCT p.proname::text FROM pg_proc p WHERE " + OWN).getValues(0, String.class)) {
            references.put(f + "(", Pattern.compile("(?<![\\w.\"])" + f + "\\s*\\("));
        }
        for (String t : admin().fetch("SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
                + "AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition").getValues(0, String.class)) {
            references.put(t, Pattern.compile("(?i)(?:\\b(?:FROM|JOIN|INTO|UPDATE|TABLE|ONLY)\\s+" + t
                    + "\\b(?![.(])|(?<![\\w.])" + t + "%ROWTYPE)"));
        }
        List<String> unqualified = new ArrayList<>();
        for (Record r : admin().fetch("SELECT p.oid::regprocedure::text, p.prosrc FROM pg_proc p JOIN pg_language l "
                + "ON l.oid = p.prolang WHERE l.lanname IN ('sql', 'plpgsql') AND " + OWN + " ORDER BY 1")) {
            String body = r.get(1, String.class)
                    .replaceAll("--[^\\n]*", " ")          // comments
                    .replaceAll("'(?:[^']|'')*'", "''");     // string literals
            references.forEach((name, reference) -> {
                if (reference.matcher(body).find()) {
                    unqualified.add(r.get(0, String.class) + ": " + name);
                }
            });
        }
        assertThat(unqualified).as("unqualified references to the schema's objects in function bodies").isEmpty();
    }
}
