package io.honua.db.intake;

import io.honua.db.internal.Checks;
import io.honua.db.types.CustomerId;
import java.util.Optional;
import java.util.UUID;

/**
 * Version 1 of a new manifest family {@code (customerId, name)}. The JSON (an object) is checked by the database.
 *
 * @param conversationId the conversation the manifest was generated from (same customer)
 */
public record NewManifest(String customerId, Optional<UUID> conversationId, String name, String manifestJson) {

    public NewManifest {
        CustomerId.check(customerId);
        Checks.notNull(conversationId, "conversationId");
        Checks.text(name, "name", 200);
        Checks.notNull(manifestJson, "manifestJson");
    }

    /** A manifest generated from a conversation. */
    public static NewManifest fromConversation(String customerId, UUID conversationId, String name, String manifestJson) {
        return new NewManifest(customerId, Optional.of(Checks.notNull(conversationId, "conversationId")), name, manifestJson);
    }

    /** A manifest written without a conversation. */
    public static NewManifest standalone(String customerId, String name, String manifestJson) {
        return new NewManifest(customerId, Optional.empty(), name, manifestJson);
    }
}
