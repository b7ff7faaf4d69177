package io.honua.db.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.tenancy.NewCustomer;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The audit log, written and read as the application role; tampering done as superuser. */
class AuditLogTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(10);

    static DSLContext admin;

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
    }

    static String customerWithEvents(int n) {
        String t = "aud-" + UUID.randomUUID().toString().substring(0, 8);
        fx.honua().customers().create(NewCustomer.builder(t, "Audit " + t).build());
        for (int i = 0; i < n; i++) {
            fx.app().audit().record(t, NewAuditEvent.of("thing.done", "thing", "t-" + i, "{\"i\": " + i + "}").withActor("tester"));
        }
        return t;
    }

    /** Changes one stored event as superuser, the append-only trigger disabled for the moment. */
    static void tamper(String sql, Object... binds) {
        admin.transaction(c -> {
            c.dsl().execute("ALTER TABLE audit_events DISABLE TRIGGER trg_audit_events_no_update");
            c.dsl().execute(sql, binds);
            c.dsl().execute("ALTER TABLE audit_events ENABLE TRIGGER trg_audit_events_no_update");
        });
    }

    static long idOf(String tenant, long seq) {
        return admin.resultQuery("SELECT id FROM audit_events WHERE tenant_id = ? AND seq = ?", tenant, seq).fetchOne(0, Long.class);
    }

    @Test
    void recordedEventsAreNumberedChainedAndListedInOrder() {
        String t = customerWithEvents(5);
        List<AuditEvent> events = fx.app().audit().list(t, 0, 100);
        assertThat(events).extracting(AuditEvent::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(events).extracting(AuditEvent::customerId).containsOnly(t);
        assertThat(events.getFirst().action()).isEqualTo("customers.insert");
        assertThat(events.getFirst().prevHash()).isEqualTo("0".repeat(64));
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).prevHash()).isEqualTo(events.get(i - 1).hash());
            assertThat(events.get(i).actor()).isEqualTo("tester");
        }
        assertThat(fx.app().audit().list(t, 4, 100)).extracting(AuditEvent::seq).containsExactly(5L, 6L);
        assertThat(fx.app().audit().history(t, "thing", "t-2", 10)).singleElement().satisfies(e -> assertThat(e.detailsJson()).isEqualTo("{\"i\": 2}"));
        ChainVerification v = fx.app().audit().verifyChain(t);
        assertThat(v.isValid()).isTrue();
        assertThat(v.customerId()).isEqualTo(t);
        assertThat(v.eventsChecked()).isEqualTo(6);
        assertThat(v.headHash()).contains(events.getLast().hash());
    }

    @Test
    void changedContentIsDetectedAtThatRow() {
        String t = customerWithEvents(6);
        tamper("UPDATE audit_events SET actor = 'someone-else' WHERE tenant_id = ? AND seq = 4", t);
        ChainVerification v = fx.app().audit().verifyChain(t);
        assertThat(v.isValid()).isFalse();
        assertThat(v.firstBroken()).contains(new ChainVerification.BrokenLink(idOf(t, 4), 4, ChainVerification.Problem.HASH_MISMATCH));
        assertThat(v.headHash()).isEmpty();
    }

    @Test
    void rehashedRowIsDetectedAtTheNextRow() {
        String t = customerWithEvents(6);
        tamper("UPDATE audit_events SET details = '{\"i\": 999}', hash = audit_event_hash(prev_hash, tenant_id, seq, actor, action, "
                + "entity_type, entity_id, '{\"i\": 999}'::jsonb, occurred_at) WHERE tenant_id = ? AND seq = 3", t);
        ChainVerification v = fx.app().audit().verifyChain(t);
        assertThat(v.firstBroken()).contains(new ChainVerification.BrokenLink(idOf(t, 4), 4, ChainVerification.Problem.PREV_HASH_MISMATCH));
    }

    @Test
    void removedRowIsDetected() {
        String t = customerWithEvents(6);
        tamper("DELETE FROM audit_events WHERE tenant_id = ? AND seq = 2", t);
        ChainVerification v = fx.app().audit().verifyChain(t);
        assertThat(v.firstBroken()).contains(new ChainVerification.BrokenLink(idOf(t, 3), 3, ChainVerification.Problem.SEQ_GAP));
    }

    @Test
    void otherTenantsChainsAreUnaffectedByTampering() {
        String good = customerWithEvents(3);
        String bad = customerWithEvents(3);
        tamper("UPDATE audit_events SET action = 'x' WHERE tenant_id = ? AND seq = 2", bad);
        assertThat(fx.app().audit().verifyChain(good).isValid()).isTrue();
        assertThat(fx.app().audit().verifyChain(bad).isValid()).isFalse();
    }

    @Test
    void applicationRoleCannotUpdateDeleteOrTruncate() {
        String t = customerWithEvents(2);
        String before = admin.resultQuery("SELECT string_agg(e::text, ',' ORDER BY id) FROM audit_events e WHERE tenant_id = ?", t).fetchOne(0, String.class);
        for (String sql : List.of("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events")) {
            assertThatThrownBy(() -> fx.app().forTenant(t).inTransaction(tx -> tx.execute(sql))).as(sql)
                    .isInstanceOf(DataAccessException.class)
                    .satisfies(e -> assertThat(((DataAccessException) e).sqlState()).isEqualTo("42501"));
        }
        // even the owner is refused while the trigger is enabled
        assertThatThrownBy(() -> admin.execute("UPDATE audit_events SET actor = 'x' WHERE tenant_id = ?", t)).hasStackTraceContaining("append-only");
        assertThatThrownBy(() -> admin.execute("DELETE FROM audit_events WHERE tenant_id = ?", t)).hasStackTraceContaining("append-only");
        assertThatThrownBy(() -> admin.execute("TRUNCATE audit_events")).hasStackTraceContaining("append-only");
        assertThat(admin.resultQuery("SELECT string_agg(e::text, ',' ORDER BY id) FROM audit_events e WHERE tenant_id = ?", t).fetchOne(0, String.class))
                .isEqualTo(before);
        assertThat(fx.app().audit().verifyChain(t).isValid()).isTrue();
    }

    @Test
    void forgedChainFieldsAreOverwrittenByTheDatabase() {
        String t = customerWithEvents(1);
        fx.app().forTenant(t).inTransaction(tx -> tx.execute("INSERT INTO audit_events (tenant_id, seq, actor, action, entity_type, prev_hash, hash, occurred_at) "
                + "VALUES (?, 99, 'x', 'forged', 'thing', repeat('a', 64), repeat('b', 64), '2000-01-01')", t));
        AuditEvent last = fx.app().audit().list(t, 1, 10).getLast();
        assertThat(last.seq()).isEqualTo(3);
        assertThat(last.hash()).isNotEqualTo("b".repeat(64));
        assertThat(last.occurredAt().getEpochSecond()).isGreaterThan(946_684_800L);
        assertThat(fx.app().audit().verifyChain(t).isValid()).isTrue();
    }

    @Test
    void chainStaysLinearUnderEightConcurrentWriters() throws Exception {
        String t = customerWithEvents(0);
        int threads = 8;
        int perThread = 40;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            int writer = w;
            futures.add(CompletableFuture.runAsync(() -> {
                try {
                    start.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < perThread; i++) {
                    // explicit events and audited customer updates interleave on the same tenant chain
                    if (i % 4 == 0) {
                        fx.app().forTenant(t).customers().update(t, io.honua.db.tenancy.CustomerUpdate.builder().name("w" + writer + "-" + i).build());
                    } else {
                        fx.app().audit().record(t, NewAuditEvent.of("write", "writer", "w" + writer, "{\"i\": " + i + "}"));
                    }
                }
            }, pool));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        pool.shutdown();
        long expected = 1 + (long) threads * perThread;
        ChainVerification v = fx.app().audit().verifyChain(t);
        assertThat(v.isValid()).isTrue();
        assertThat(v.eventsChecked()).isEqualTo(expected);
        assertThat(admin.resultQuery("SELECT seq FROM audit_events WHERE tenant_id = ? ORDER BY seq", t).fetch().getValues(0, Long.class))
                .containsExactlyElementsOf(LongStream.rangeClosed(1, expected).boxed().toList());
    }

    @Test
    void secretsNeverEnterTheDetails() {
        String t = customerWithEvents(0);
        UUID license = Fixtures.license(admin, t, 2);
        admin.execute("INSERT INTO registry_credentials (customer_id, registry_type, registry_name, registry_url, username, encrypted_secret, "
                + "encryption_key_id) VALUES (?, 'quay', 'q', 'https://quay.io', 'bot', '\\xdeadbeef', 'k1')", t);
        admin.execute("UPDATE registry_credentials SET encrypted_secret = '\\xfeedface', encryption_key_id = 'k2' WHERE customer_id = ?", t);
        List<AuditEvent> events = fx.app().audit().list(t, 0, 100);
        assertThat(events).extracting(AuditEvent::action)
                .containsExactly("customers.insert", "licenses.insert", "registry_credentials.insert", "registry_credentials.update");
        for (AuditEvent e : events) {
            assertThat(e.detailsJson()).doesNotContain("license_key_hash", "license_key_encrypted", "\"encrypted_secret\":", "deadbeef", "feedface");
        }
        assertThat(events.get(1).entityId()).contains(license.toString());
        assertThat(events.get(3).detailsJson()).contains("secret_columns_changed").contains("\"k2\"");
    }

    @Test
    void badInputIsTypedAndChangesNothing() {
        String t = customerWithEvents(1);
        long before = admin.resultQuery("SELECT count(*) FROM audit_events").fetchOne(0, Long.class);
        List<Runnable> attempts = List.of(
                () -> fx.app().audit().record(t, NewAuditEvent.of("", "thing", null, "{}")),
                () -> fx.app().audit().record(t, NewAuditEvent.of("a".repeat(101), "thing", null, "{}")),
                () -> fx.app().audit().record(t, NewAuditEvent.of("ok", "thing", "x".repeat(201), "{}")),
                () -> fx.app().audit().record(t, NewAuditEvent.of("ok", "thing", null, "{broken")),
                () -> fx.app().audit().record(t, NewAuditEvent.of("ok", "thing", null, "[1]")),
                () -> fx.app().audit().record("", NewAuditEvent.of("ok", "thing", null, "{}")),
                // the one customer-id rule (types.CustomerId) for every method
                () -> fx.app().audit().record("-" + t, NewAuditEvent.of("ok", "thing", null, "{}")),
                () -> fx.app().audit().list("x".repeat(101), 0, 10),
                () -> fx.app().audit().history("a b", "thing", "x", 10),
                () -> fx.app().audit().verifyChain(""),
                () -> fx.app().audit().list(t, -1, 10),
                () -> fx.app().audit().list(t, 0, 0));
        for (Runnable a : attempts) {
            assertThatThrownBy(a::run).isInstanceOf(InvalidRequestException.class);
        }
        assertThat(admin.resultQuery("SELECT count(*) FROM audit_events").fetchOne(0, Long.class)).isEqualTo(before);
    }
}
