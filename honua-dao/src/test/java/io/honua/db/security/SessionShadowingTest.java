package io.honua.db.security;

import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.tenancy.Customer;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.sql.Connection;
import java.sql.Statement;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An attacker's temporary table in a pooled session of the application role does not shadow the schema's table for
 * the library's statements that later run on that session: the library names the schema of every table it reads
 * ({@code public.customers}), as the SQL functions do (PostgreSQL searches the session's temporary schema first for
 * an unqualified table name).
 */
class SessionShadowingTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled();

    @Test
    void aTemporaryTableLeftInThePooledSessionIsNotRead() throws Exception {
        String real = Fixtures.customer(DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES), "shadow-real");
        String realName = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES)
                .fetchValue(CUSTOMERS.NAME, CUSTOMERS.CUSTOMER_ID.eq(real));
        // one connection: the session the planted table lives in is the one the library is handed next
        try (HikariDataSource pool = Fixtures.appPool(fx.db(), 1)) {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                s.execute("SELECT set_config('honua.tenant_id', '" + real + "', true)");
                s.execute("CREATE TEMP TABLE customers AS SELECT * FROM public.customers");
                s.execute("UPDATE customers SET name = 'planted name'");
                s.execute("INSERT INTO customers SELECT * FROM customers");
                s.execute("UPDATE customers SET customer_id = 'planted' WHERE ctid = (SELECT max(ctid) FROM customers)");
                c.commit();
                c.setAutoCommit(true);
            }
            HonuaDb app = HonuaDb.create(pool);
            assertThat(app.forTenant(real).customers().find(real)).map(Customer::name).contains(realName);
            assertThat(app.forTenant("planted").customers().find("planted")).isEmpty();
            // the planted table is still there in that session: it was not dropped, only not read
            try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                 var rs = s.executeQuery("SELECT count(*) FROM pg_temp.customers")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
        }
    }
}
