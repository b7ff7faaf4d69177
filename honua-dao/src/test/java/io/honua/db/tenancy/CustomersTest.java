package io.honua.db.tenancy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.ConflictException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The customers DAO, run as the application role (honua_app); creation and tier changes as the administrative role
 * (honua_admin, issue 12: the application may not create tenants or change tiers); purge as the worker role.
 */
class CustomersTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(4).withWorkerPool(2).withAdminPool(2);

    static DSLContext admin;

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
    }

    static String newId() {
        return "cust-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static long count(String sql, Object... binds) {
        return admin.resultQuery(sql, binds).fetchOne(0, Long.class);
    }

    /** Everything a failed call must leave unchanged: all customers and all audit events. */
    static String snapshot() {
        return admin.resultQuery("SELECT coalesce(string_agg(c::text, ',' ORDER BY customer_id), '') || '|' || "
                + "(SELECT count(*) FROM audit_events) FROM customers c").fetchOne(0, String.class);
    }

    @Test
    void createFindUpdateSoftDeleteRestoreRoundTripIsAudited() {
        String id = newId();
        Customer created = fx.admin().customers().create(NewCustomer.builder(id, "Acme").email("ops@acme.io").tier(Tier.STANDARD)
                .subscriptionStatus(SubscriptionStatus.ACTIVE).metadataJson("{\"region\": \"eu\"}").build());
        assertThat(created.customerId()).isEqualTo(id);
        assertThat(created.tier()).isEqualTo(Tier.STANDARD);
        assertThat(created.subscriptionStatus()).isEqualTo(SubscriptionStatus.ACTIVE);
        assertThat(created.email()).contains("ops@acme.io");
        assertThat(created.metadataJson()).contains("\"region\"");
        assertThat(created.isDeleted()).isFalse();
        assertThat(fx.app().customers().find(id)).contains(created);

        // the tenant itself may not change its tier (issue 12); the administrative role may
        assertThatThrownBy(() -> fx.app().customers().update(id, CustomerUpdate.builder().tier(Tier.ENTERPRISE).build()))
                .isInstanceOf(TenantAccessDeniedException.class);
        Customer updated = fx.admin().customers().update(id, CustomerUpdate.builder().tier(Tier.ENTERPRISE).email("").build());
        assertThat(updated.tier()).isEqualTo(Tier.ENTERPRISE);
        assertThat(updated.email()).isEmpty();
        assertThat(updated.name()).isEqualTo("Acme");

        Customer deleted = fx.app().customers().softDelete(id);
        assertThat(deleted.deletedAt()).isPresent();
        assertThat(fx.app().customers().softDelete(id).deletedAt()).isEqualTo(deleted.deletedAt());
        assertThatThrownBy(() -> fx.app().customers().update(id, CustomerUpdate.builder().name("x").build()))
                .isInstanceOf(ConflictException.class).hasMessageContaining("soft-deleted");
        Customer restored = fx.app().customers().restore(id);
        assertThat(restored.isDeleted()).isFalse();
        assertThat(fx.app().customers().restore(id)).isEqualTo(restored);

        List<String> actions = admin.resultQuery("SELECT action FROM audit_events WHERE tenant_id = ? ORDER BY seq", id)
                .fetch().getValues(0, String.class);
        assertThat(actions).containsExactly("customers.insert", "customers.update", "customers.update", "customers.update");
        assertThat(fx.worker().audit().verifyChain(id).isValid()).isTrue();
    }

    @Test
    void scopedActorIsRecordedInTheAudit() {
        String id = newId();
        fx.admin().customers().create(NewCustomer.builder(id, "Scoped").build());
        fx.app().forTenant(id).as("alice@ops").customers().update(id, CustomerUpdate.builder().subscriptionStatus(SubscriptionStatus.PAST_DUE).build());
        assertThat(admin.resultQuery("SELECT actor FROM audit_events WHERE tenant_id = ? ORDER BY seq", id).fetch().getValues(0, String.class))
                .containsExactly(Fixtures.ADMIN_LOGIN, "alice@ops");
    }

    @Test
    void unknownCustomerIsTypedAndChangesNothing() {
        String before = snapshot();
        assertThat(fx.app().customers().find("nobody-here")).isEmpty();
        assertThatThrownBy(() -> fx.app().customers().update("nobody-here", CustomerUpdate.builder().name("x").build()))
                .isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> fx.app().customers().softDelete("nobody-here")).isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> fx.app().customers().restore("nobody-here")).isInstanceOf(UnknownCustomerException.class);
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void badInputIsTypedAndChangesNothing() {
        String existing = newId();
        fx.admin().customers().create(NewCustomer.builder(existing, "Existing").build());
        String before = snapshot();
        String id = newId();
        List<Runnable> attempts = List.of(
                () -> fx.admin().customers().create(NewCustomer.builder(id, "x".repeat(201)).build()),
                () -> fx.admin().customers().create(NewCustomer.builder(id, "").build()),
                () -> fx.admin().customers().create(NewCustomer.builder("x".repeat(101), "Long id").build()),
                () -> fx.admin().customers().create(NewCustomer.builder("bad id!", "Bad id").build()),
                () -> fx.admin().customers().create(NewCustomer.builder(id, "Mail").email("no-at-sign").build()),
                () -> fx.admin().customers().create(NewCustomer.builder(id, "Mail").email("a@" + "b".repeat(320)).build()),
                () -> fx.admin().customers().create(NewCustomer.builder(id, "Meta").metadataJson("{not json").build()),
                () -> fx.admin().customers().create(NewCustomer.builder(id, "Meta").metadataJson("[1, 2]").build()),
                () -> fx.admin().customers().create(NewCustomer.builder(id, "Tier").tier(Tier.parse("platinum")).build()),
                () -> fx.app().customers().update(existing, CustomerUpdate.builder().subscriptionStatus(SubscriptionStatus.parse("gold")).build()),
                () -> fx.app().customers().update(existing, CustomerUpdate.builder().name("n".repeat(201)).build()),
                () -> fx.app().customers().update(existing, CustomerUpdate.builder().metadataJson("\"a string\"").build()),
                () -> fx.app().customers().update(existing, CustomerUpdate.builder().build()),
                () -> fx.app().customers().purge(Duration.ofDays(-1)));
        for (Runnable attempt : attempts) {
            assertThatThrownBy(attempt::run).isInstanceOf(InvalidRequestException.class);
        }
        assertThatThrownBy(() -> fx.admin().customers().create(NewCustomer.builder(existing, "Again").build()))
                .isInstanceOf(CustomerExistsException.class);
        // a scoped DAO cannot create another tenant: refused by the database's policy
        assertThatThrownBy(() -> fx.app().forTenant(existing).customers().create(NewCustomer.builder(id, "Other").build()))
                .isInstanceOf(TenantAccessDeniedException.class);
        assertThat(snapshot()).isEqualTo(before);
        assertThat(Tier.parse(" Professional ")).isEqualTo(Tier.PROFESSIONAL);
    }

    @Test
    void badTierWrittenBehindTheDaosBackIsRefusedByTheDatabase() {
        String id = newId();
        fx.admin().customers().create(NewCustomer.builder(id, "Raw").build());
        String before = snapshot();
        assertThatThrownBy(() -> admin.execute("UPDATE customers SET tier = 'platinum' WHERE customer_id = ?", id))
                .isInstanceOf(org.jooq.exception.DataAccessException.class)
                .satisfies(e -> assertThat(((org.jooq.exception.DataAccessException) e).sqlState()).isEqualTo("23514"));
        // the administrative role writes the tier only through admin_update_customer (issue 12, V18), which checks it
        assertThatThrownBy(() -> fx.admin().forTenant(id).inTransaction(tx -> tx.execute("UPDATE customers SET tier = 'enterprise'")))
                .isInstanceOf(org.jooq.exception.DataAccessException.class)
                .satisfies(e -> assertThat(((org.jooq.exception.DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThatThrownBy(() -> fx.admin().forTenant(id).inTransaction(tx -> tx.execute(
                "SELECT admin_update_customer(?, 'platinum', NULL, NULL, NULL, NULL)", id)))
                .isInstanceOf(org.jooq.exception.DataAccessException.class)
                .satisfies(e -> assertThat(((org.jooq.exception.DataAccessException) e).sqlState()).isEqualTo("22023"));
        // and the application role may not write the tier at all
        assertThatThrownBy(() -> fx.app().forTenant(id).inTransaction(tx -> tx.execute("UPDATE customers SET tier = 'enterprise'")))
                .isInstanceOf(org.jooq.exception.DataAccessException.class)
                .satisfies(e -> assertThat(((org.jooq.exception.DataAccessException) e).sqlState()).isEqualTo("42501"));
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void purgeRemovesCustomersDeletedLongerThanTheRetentionWithTheirData() {
        String old = newId();
        String recent = newId();
        for (String id : List.of(old, recent)) {
            fx.admin().customers().create(NewCustomer.builder(id, "Purge " + id).build());
            fx.app().forTenant(id).buildQueue().enqueue(io.honua.db.queue.NewBuild.builder(id).build());
            fx.app().customers().softDelete(id);
        }
        admin.execute("UPDATE customers SET deleted_at = now() - interval '40 days' WHERE customer_id = ?", old);
        // the application role may not purge at all (V13, issue 12: cross-tenant maintenance is the service role's)
        assertThatThrownBy(() -> fx.app().customers().purge(Duration.ofDays(30))).isInstanceOf(TenantAccessDeniedException.class);
        assertThat(count("SELECT count(*) FROM customers WHERE customer_id = ?", old)).isEqualTo(1);

        assertThat(fx.worker().customers().purge(Duration.ofDays(30))).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM customers WHERE customer_id = ?", old)).isZero();
        assertThat(count("SELECT count(*) FROM build_queue WHERE customer_id = ?", old)).isZero();
        assertThat(count("SELECT count(*) FROM customers WHERE customer_id = ?", recent)).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM build_queue WHERE customer_id = ?", recent)).isEqualTo(1);
        // the trail outlives the customer and records the purge
        assertThat(admin.resultQuery("SELECT action FROM audit_events WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1", old).fetchOne(0, String.class))
                .isEqualTo("customers.delete");
        assertThat(fx.worker().audit().verifyChain(old).isValid()).isTrue();
    }
}
