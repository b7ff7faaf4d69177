package io.honua.db.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testkit.HonuaDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The role-creating block of V10 is race-safe: roles are cluster-wide, and many databases of one server migrate at the
 * same moment. The block itself (read from the migration) runs from 8 connections at once for roles that do not exist
 * yet (unique names, so that the real roles of concurrently running builds are not touched).
 */
class TenancyRolesTest {

    @RegisterExtension
    static final HonuaDatabase db = HonuaDatabase.migrated();

    static String roleBlock() throws IOException {
        try (InputStream in = TenancyRolesTest.class.getResourceAsStream("/db/migration/V10__tenancy_security.sql")) {
            String sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int start = sql.indexOf("DO $$");
            int end = sql.indexOf("END $$;", start) + "END $$;".length();
            return sql.substring(start, end);
        }
    }

    @Test
    void roleCreationIsIdempotentAndRaceSafe() throws Exception {
        String block = roleBlock();
        assertThat(block).contains("ARRAY['honua_app', 'honua_worker']").contains("duplicate_object OR unique_violation");
        DSLContext admin = DSL.using(db.dataSource(), SQLDialect.POSTGRES);
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        List<String> roles = List.of("honua_app_t" + suffix, "honua_worker_t" + suffix);
        String renamed = block.replace("'honua_app'", "'" + roles.get(0) + "'").replace("'honua_worker'", "'" + roles.get(1) + "'");
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 3; round++) {
                CyclicBarrier barrier = new CyclicBarrier(threads);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    futures.add(pool.submit(() -> {
                        barrier.await(30, TimeUnit.SECONDS);
                        // hold the transaction open after the block: concurrent creators pass the NOT EXISTS check and then
                        // collide on the catalog's unique index when the first one commits (the handled race)
                        DSL.using(db.dataSource(), SQLDialect.POSTGRES).transaction(c -> {
                            c.dsl().execute(renamed);
                            c.dsl().execute("SELECT pg_sleep(0.3)");
                        });
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS); // throws if any connection failed
                }
            }
            for (String role : roles) {
                assertThat(admin.resultQuery("SELECT NOT rolcanlogin AND NOT rolsuper AND NOT rolbypassrls FROM pg_roles WHERE rolname = ?", role)
                        .fetchOne(0, Boolean.class)).as(role).isTrue();
            }
        } finally {
            pool.shutdown();
            for (String role : roles) {
                admin.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }
}
