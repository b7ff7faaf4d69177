package io.honua.db.audit;

import io.honua.db.internal.Checks;
import java.util.Objects;
import java.util.Optional;

/**
 * An event to append with {@link AuditLog#record}. The database numbers, timestamps and chains it.
 *
 * @param actor       1..200 characters; empty: {@code honua.actor} of the transaction, else the database role
 * @param action      1..100 characters, e.g. {@code license.issued}
 * @param entityType  1..100 characters
 * @param entityId    1..200 characters when present
 * @param detailsJson a JSON object (never put secrets in it)
 */
public record NewAuditEvent(Optional<String> actor, String action, String entityType, Optional<String> entityId, String detailsJson) {

    public NewAuditEvent {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(entityId, "entityId");
        Checks.notNull(detailsJson, "detailsJson");
    }

    public static NewAuditEvent of(String action, String entityType, String entityId, String detailsJson) {
        return new NewAuditEvent(Optional.empty(), action, entityType, Optional.ofNullable(entityId), detailsJson);
    }

    public NewAuditEvent withActor(String actor) {
        return new NewAuditEvent(Optional.of(actor), action, entityType, entityId, detailsJson);
    }
}
