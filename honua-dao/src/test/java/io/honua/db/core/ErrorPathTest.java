package io.honua.db.core;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.internal.SqlState;
import io.honua.db.queue.NewBuild;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.tenancy.TenantAccessDeniedException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The one error path: the SQLSTATE catalogue is complete, and bad input of every kind becomes a typed exception. */
class ErrorPathTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4).withAppPool(4);

    static DSLContext sql;

    @BeforeAll
    static void setUp() {
        sql = fx.dsl();
    }

    @Test
    void everySqlStateTheSqlRaisesIsCatalogued() throws IOException {
        Path migrations = Path.of("..", "honua-schema", "src", "main", "resources", "db", "migration");
        Pattern raised = Pattern.compile("ERRCODE\\s*=\\s*'([0-9A-Z]{5})'");
        Set<String> codes = new TreeSet<>();
        try (Stream<Path> files = Files.list(migrations)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".sql")).toList()) {
                Matcher m = raised.matcher(Files.readString(f));
                while (m.find()) {
                    codes.add(m.group(1));
                }
            }
        }
        assertThat(codes).contains("HA001", "HI001", "HL003", "HN404", "HQ001", "42501", "22023");
        // 42703 is raised only by the operator function enable_tenant_isolation (not called by any DAO)
        codes.remove("42703");
        assertThat(codes).allSatisfy(code -> assertThat(SqlState.of(code)).as(code).isPresent());
    }

    @Test
    void nulCharactersInTextAreInvalidRequests() {
        String id = "nul-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> fx.honua().customers().create(NewCustomer.builder(id, "bad\u0000name").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(sql.fetchCount(CUSTOMERS, CUSTOMERS.CUSTOMER_ID.eq(id))).isZero();

        String c = Fixtures.newCustomer(fx.honua());
        int before = sql.fetchCount(BUILD_QUEUE);
        assertThatThrownBy(() -> fx.honua().buildQueue().enqueue(NewBuild.builder(c).idempotencyKey("k\u0000").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(sql.fetchCount(BUILD_QUEUE)).isEqualTo(before);
    }

    @Test
    void notBeforeOutsideTheDatabaseRangeIsAnInvalidRequest() {
        String c = Fixtures.newCustomer(fx.honua());
        for (Instant extreme : new Instant[] {Instant.MAX, Instant.MIN}) {
            assertThatThrownBy(() -> fx.honua().buildQueue().enqueue(NewBuild.builder(c).notBefore(extreme).build()))
                    .isInstanceOf(InvalidRequestException.class);
        }
        assertThat(sql.fetchCount(BUILD_QUEUE, BUILD_QUEUE.CUSTOMER_ID.eq(c))).isZero();
    }

    @Test
    void unknownCustomerCarriesTheCustomerId() {
        String nobody = "nobody-" + UUID.randomUUID().toString().substring(0, 8);
        assertThatThrownBy(() -> fx.honua().buildCache().licenseTier(nobody))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).contains(nobody));
        assertThatThrownBy(() -> fx.honua().customers().softDelete(nobody))
                .isInstanceOfSatisfying(UnknownCustomerException.class, e -> assertThat(e.customerId()).contains(nobody));
    }

    @Test
    void insufficientPrivilegeIsTenantAccessDeniedInEveryCapability() {
        String mine = Fixtures.newCustomer(fx.honua());
        String theirs = Fixtures.newCustomer(fx.honua());
        int before = sql.fetchCount(BUILD_QUEUE);
        // row-level security refuses a tenant's enqueue for another tenant
        assertThatThrownBy(() -> fx.app().forTenant(mine).buildQueue().enqueue(NewBuild.builder(theirs).build()))
                .isInstanceOf(TenantAccessDeniedException.class);
        assertThat(sql.fetchCount(BUILD_QUEUE)).isEqualTo(before);
    }
}
