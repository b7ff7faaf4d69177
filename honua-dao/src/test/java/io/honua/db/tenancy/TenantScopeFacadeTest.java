package io.honua.db.tenancy;

import static io.honua.db.schema.generated.Tables.CUSTOMERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.HonuaDb;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.internal.Tenancy;
import io.honua.db.internal.Transactions;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A tenant scope is the {@link HonuaDb} facade over derived configurations: every capability, the same listeners, the
 * tenant set in every transaction (and only that tenant), all-or-nothing units of work.
 */
class TenantScopeFacadeTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(4);

    static DSLContext admin;
    static final String A = "facade-a";
    static final String B = "facade-b";

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        for (String t : new String[] {A, B}) {
            Fixtures.customer(admin, t);
            Fixtures.license(admin, t, 5);
        }
    }

    /** Every public capability accessor of HonuaDb (no arguments, returns a DAO of the library, not an options value). */
    private static List<Method> capabilityAccessors() {
        return Arrays.stream(HonuaDb.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0)
                .filter(m -> m.getReturnType().getPackageName().startsWith("io.honua.db.") && !m.getReturnType().isRecord())
                .toList();
    }

    @Test
    void aScopeOffersEveryCapabilityOfHonuaDbThroughTheSameAccessors() throws Exception {
        HonuaDb db = HonuaDb.builder(fx.appPool()).keyProvider(LocalKeyProvider.generate("facade")).build();
        TenantScope scope = db.forTenant(A);
        List<Method> accessors = capabilityAccessors();
        assertThat(accessors.stream().map(Method::getName)).contains("buildQueue", "buildCache", "analytics", "partitions",
                "intake", "customers", "audit", "licenses", "registryCredentials", "apiKeys", "buildMetrics",
                "buildDependencies", "operations", "maintenance");
        for (Method m : accessors) {
            Object fromScope = m.invoke(scope);
            assertThat(fromScope).as(m.getName()).isNotNull().isInstanceOf(m.getReturnType());
            assertThat(fromScope).as(m.getName() + " is the scope's own DAO, not the HonuaDb's").isNotSameAs(m.invoke(db));
            assertThat(m.invoke(scope)).as(m.getName() + " made once per scope").isSameAs(fromScope);
        }
        // the scope adds only what names the tenant; it overrides no capability
        Set<String> own = Arrays.stream(TenantScope.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers())).map(Method::getName).collect(Collectors.toSet());
        assertThat(own).containsExactlyInAnyOrder("as", "customerId", "actor", "inTransaction");
        assertThat(scope.workerOptions()).isEqualTo(db.workerOptions());
        assertThat(scope.sessionLimits()).isEqualTo(db.sessionLimits());
    }

    /**
     * The cross-tenant capabilities through a scope of the application role: what RLS lets the tenant see, or a typed
     * refusal where the role has no grant; never another tenant's rows.
     */
    @Test
    void crossTenantCapabilitiesThroughAScopeSeeOnlyTheTenant() {
        HonuaDb owner = HonuaDb.create(fx.db().dataSource());
        assertThat(owner.analytics().customerBuildUsage()).extracting(u -> u.customerId()).contains(A, B);
        TenantScope a = fx.app().forTenant(A);
        List<String> seen;
        try {
            seen = a.analytics().customerBuildUsage().stream().map(u -> u.customerId()).toList();
        } catch (TenantAccessDeniedException refused) {
            seen = List.of();   // the application role has no grant for this view: refused, typed
        }
        assertThat(seen).doesNotContain(B);
        boolean otherVisible;
        try {
            otherVisible = a.analytics().customerBuildUsage(B).isPresent();
        } catch (TenantAccessDeniedException refused) {
            otherVisible = false;
        }
        assertThat(otherVisible).isFalse();
        assertThat(owner.analytics().customerBuildUsage(B)).isPresent();
        assertThat(a.operations().health().status()).isEqualTo(io.honua.db.operations.Health.Status.UP);
    }

    @Test
    void theScopesStatementsReachTheListenersOfItsHonuaDb() {
        AtomicInteger seen = new AtomicInteger();
        ExecuteListener counter = new ExecuteListener() {
            @Override
            public void end(ExecuteContext ctx) {
                seen.incrementAndGet();
            }
        };
        HonuaDb db = HonuaDb.builder(fx.appPool()).slowQueryThreshold(Duration.ofSeconds(10)).executeListener(counter).build();
        TenantScope scope = db.forTenant(A);
        long before = db.slowQueryListener().orElseThrow().stats().statements();
        assertThat(scope.customers().find(A)).isPresent();
        assertThat(scope.dsl().fetchValue("SELECT current_setting('honua.tenant_id')")).isEqualTo(A);
        assertThat(seen.get()).isGreaterThanOrEqualTo(2);
        assertThat(db.slowQueryListener().orElseThrow().stats().statements() - before).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aScopeStaysItsTenantsScope() {
        TenantScope a = fx.app().forTenant(A);
        assertThat(a.forTenant(A).customerId()).isEqualTo(A);
        assertThatThrownBy(() -> a.forTenant(B)).isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.as("mallory").forTenant(B)).isInstanceOf(TenantAccessDeniedException.class);
        // inside a unit of work the context handed out is still bound: it cannot be switched to another tenant
        assertThatThrownBy(() -> a.inTransaction(tx -> Tenancy.inTenant(tx, B, t -> t.fetchValue("SELECT 1"))))
                .isInstanceOf(TenantAccessDeniedException.class);
        String tenant = a.inTransaction(tx -> tx.fetchValue(DSL.field("current_setting('honua.tenant_id')", String.class)));
        assertThat(tenant).isEqualTo(A);
        // B's customer row is not visible through A's scope, and A's is
        assertThat(a.customers().find(B)).isEmpty();
        int visible = a.inTransaction(tx -> tx.fetchCount(CUSTOMERS));
        assertThat(visible).isEqualTo(1);
        String actor = a.as("alice").inTransaction(tx -> tx.fetchValue(DSL.field("current_setting('honua.actor')", String.class)));
        assertThat(actor).isEqualTo("alice");
    }

    @Test
    void aUnitOfWorkThatThrowsLeavesNothingBehind() {
        String name = admin.fetchValue(CUSTOMERS.NAME, CUSTOMERS.CUSTOMER_ID.eq(A)).toString();
        TenantScope a = fx.app().forTenant(A);
        assertThatThrownBy(() -> a.inTransaction(tx -> {
            tx.update(CUSTOMERS).set(CUSTOMERS.NAME, "changed by scope").where(CUSTOMERS.CUSTOMER_ID.eq(A)).execute();
            throw new IllegalStateException("after the write");
        })).isInstanceOf(IllegalStateException.class);
        // the DAOs' path (a customer id per call) likewise
        assertThatThrownBy(() -> Tenancy.inTenant(fx.app().dsl(), A, tx -> {
            tx.update(CUSTOMERS).set(CUSTOMERS.NAME, "changed by dao").where(CUSTOMERS.CUSTOMER_ID.eq(A)).execute();
            throw new IllegalStateException("after the write");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(admin.fetchValue(CUSTOMERS.NAME, CUSTOMERS.CUSTOMER_ID.eq(A))).isEqualTo(name);
        // a tenant transaction inside the caller's joins it: the caller's rollback undoes it
        assertThatThrownBy(() -> Transactions.inTransaction(fx.app().dsl(), outer -> {
            Tenancy.inTenant(outer, A, tx -> tx.update(CUSTOMERS).set(CUSTOMERS.NAME, "joined").where(CUSTOMERS.CUSTOMER_ID.eq(A)).execute());
            assertThat(outer.fetchValue("SELECT current_setting('honua.tenant_id')")).isEqualTo(A);
            throw new IllegalStateException("caller fails");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(admin.fetchValue(CUSTOMERS.NAME, CUSTOMERS.CUSTOMER_ID.eq(A))).isEqualTo(name);
        // and a unit of work that returns commits
        a.inTransaction(tx -> tx.update(CUSTOMERS).set(CUSTOMERS.NAME, "renamed").where(CUSTOMERS.CUSTOMER_ID.eq(A)).execute());
        assertThat(admin.fetchValue(CUSTOMERS.NAME, CUSTOMERS.CUSTOMER_ID.eq(A))).isEqualTo("renamed");
    }
}
