package io.honua.db.audit;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.AUDIT_EVENTS;

import io.honua.db.internal.Tenancy;
import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.AuditEvents;
import io.honua.db.types.CustomerId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record5;

/**
 * The append-only, hash-chained audit trail ({@code audit_events}).
 *
 * <p>Guarantees, enforced by the database:
 * <ul>
 *   <li><b>Append-only.</b> UPDATE, DELETE and TRUNCATE are refused by triggers, and the application roles hold no
 *       such privilege.</li>
 *   <li><b>Chained per customer.</b> Each event gets seq = previous + 1 and hash = sha256(prev_hash || event); writers
 *       of one customer are serialised, so the chain stays linear under any number of concurrent writers.</li>
 *   <li><b>Automatic.</b> Changes of customers, licenses and registry credentials are recorded by triggers in the
 *       transaction that makes them (secret columns never enter the details).</li>
 *   <li><b>Tenant context.</b> Every call runs in a transaction with {@code honua.tenant_id} set to the customer it is
 *       about, so the application role reads and appends only that customer's events.</li>
 * </ul>
 * Every method takes the customer id first and checks it with the one customer-id rule ({@link CustomerId}):
 * {@link InvalidRequestException} when it does not follow it. Thread-safe.
 */
public final class AuditLog {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.AUDIT);

    private static final int MAX_PAGE = 10_000;
    private static final int VERIFY_BATCH = 5_000;

    private final DSLContext dsl;

    AuditLog(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
    }

    /** Appends an event for {@code customerId} in its own transaction and returns it as stored (seq, hashes). */
    public AuditEvent record(String customerId, NewAuditEvent event) {
        CustomerId.check(customerId);
        Checks.notNull(event, "event");
        event.actor().ifPresent(a -> Checks.text(a, "actor", 200));
        Checks.text(event.action(), "action", 100);
        Checks.text(event.entityType(), "entityType", 100);
        event.entityId().ifPresent(id -> Checks.text(id, "entityId", 200));
        Checks.text(event.detailsJson(), "detailsJson", 1_000_000);
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> AuditEvent.of(tx.insertInto(AUDIT_EVENTS)
                .set(AUDIT_EVENTS.TENANT_ID, customerId)
                .set(AUDIT_EVENTS.ACTOR, event.actor().orElse(null))
                .set(AUDIT_EVENTS.ACTION, event.action())
                .set(AUDIT_EVENTS.ENTITY_TYPE, event.entityType())
                .set(AUDIT_EVENTS.ENTITY_ID, event.entityId().orElse(null))
                .set(AUDIT_EVENTS.DETAILS, JSONB.valueOf(event.detailsJson()))
                .returning().fetchSingle())));
    }

    /**
     * Events of a customer with seq greater than {@code afterSeq}, in seq order (oldest first), at most {@code limit}.
     * Page through with the last returned seq.
     */
    public List<AuditEvent> list(String customerId, long afterSeq, int limit) {
        CustomerId.check(customerId);
        Checks.range(limit, 1, MAX_PAGE, "limit");
        if (afterSeq < 0) {
            throw new InvalidRequestException("afterSeq must be >= 0, got " + afterSeq);
        }
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> tx.selectFrom(AUDIT_EVENTS)
                .where(AUDIT_EVENTS.TENANT_ID.eq(customerId)).and(AUDIT_EVENTS.SEQ.gt(afterSeq))
                .orderBy(AUDIT_EVENTS.SEQ).limit(limit).fetch(AuditEvent::of)));
    }

    /** The first {@code limit} events of a customer about one entity, oldest first. */
    public List<AuditEvent> history(String customerId, String entityType, String entityId, int limit) {
        CustomerId.check(customerId);
        Checks.text(entityType, "entityType", 100);
        Checks.text(entityId, "entityId", 200);
        Checks.range(limit, 1, MAX_PAGE, "limit");
        return call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx -> tx.selectFrom(AUDIT_EVENTS)
                .where(AUDIT_EVENTS.TENANT_ID.eq(customerId)).and(AUDIT_EVENTS.ENTITY_TYPE.eq(entityType))
                .and(AUDIT_EVENTS.ENTITY_ID.eq(entityId))
                .orderBy(AUDIT_EVENTS.SEQ).limit(limit).fetch(AuditEvent::of)));
    }

    /**
     * Re-reads a customer's whole chain in seq order and checks every link: seq follows without gaps, prev_hash equals
     * the previous event's hash, and hash equals the hash the database computes from the stored event. Reads in
     * batches of {@value #VERIFY_BATCH}, each in its own transaction (the chain only grows, so what was checked stays
     * checked).
     *
     * @return the number of events checked, the head hash, and the first broken event if any
     */
    public ChainVerification verifyChain(String customerId) {
        CustomerId.check(customerId);
        AuditEvents e = AUDIT_EVENTS;
        Field<String> expected = Routines.auditEventHash(e.PREV_HASH, e.TENANT_ID, e.SEQ, e.ACTOR, e.ACTION, e.ENTITY_TYPE,
                e.ENTITY_ID, e.DETAILS, e.OCCURRED_AT);
        long checked = 0;
        long lastSeq = 0;
        String lastHash = "0".repeat(64);
        while (true) {
            long after = lastSeq;
            List<Record5<Long, Long, String, String, String>> batch = call(ERRORS.customer(customerId), () -> Tenancy.inTenant(dsl, customerId, tx ->
                    tx.select(e.ID, e.SEQ, e.PREV_HASH, e.HASH, expected).from(e)
                            .where(e.TENANT_ID.eq(customerId)).and(e.SEQ.gt(after))
                            .orderBy(e.SEQ).limit(VERIFY_BATCH).fetch()));
            for (Record5<Long, Long, String, String, String> r : batch) {
                long id = r.value1();
                long seq = r.value2();
                ChainVerification.Problem problem = null;
                if (seq != lastSeq + 1) {
                    problem = ChainVerification.Problem.SEQ_GAP;
                } else if (!r.value3().equals(lastHash)) {
                    problem = ChainVerification.Problem.PREV_HASH_MISMATCH;
                } else if (!r.value4().equals(r.value5())) {
                    problem = ChainVerification.Problem.HASH_MISMATCH;
                }
                checked++;
                if (problem != null) {
                    return new ChainVerification(customerId, checked, Optional.empty(),
                            Optional.of(new ChainVerification.BrokenLink(id, seq, problem)));
                }
                lastSeq = seq;
                lastHash = r.value4();
            }
            if (batch.size() < VERIFY_BATCH) {
                return new ChainVerification(customerId, checked, checked == 0 ? Optional.empty() : Optional.of(lastHash), Optional.empty());
            }
        }
    }
}
