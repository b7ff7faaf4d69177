package io.honua.db.audit;

import io.honua.db.schema.generated.tables.records.AuditEventsRecord;
import java.time.Instant;
import java.util.Optional;

/**
 * One stored audit event.
 *
 * @param customerId  the customer the event belongs to (column {@code tenant_id})
 * @param seq         1, 2, 3, … per customer, without gaps
 * @param detailsJson a JSON object; never contains secret columns
 * @param prevHash    hash of the customer's previous event (64 zeros for the first)
 * @param hash        sha256(prevHash || canonical event), hex
 */
public record AuditEvent(long id, String customerId, long seq, String actor, String action, String entityType,
                         Optional<String> entityId, String detailsJson, Instant occurredAt, String prevHash, String hash) {

    static AuditEvent of(AuditEventsRecord r) {
        return new AuditEvent(r.getId(), r.getTenantId(), r.getSeq(), r.getActor(), r.getAction(), r.getEntityType(),
                Optional.ofNullable(r.getEntityId()), r.getDetails() == null ? "{}" : r.getDetails().data(), r.getOccurredAt(),
                r.getPrevHash(), r.getHash());
    }
}
