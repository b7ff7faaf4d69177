package io.honua.db.intake;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.UUID;

/**
 * A requirement extracted from a conversation. The value is any JSON (checked by the database).
 *
 * @param confidence 0..1, at most three decimals
 */
public record NewExtraction(UUID conversationId, Optional<UUID> manifestId, RequirementType type, String valueJson,
        BigDecimal confidence) {

    public NewExtraction {
        Checks.notNull(conversationId, "conversationId");
        Checks.notNull(manifestId, "manifestId");
        Checks.notNull(type, "type");
        Checks.notNull(valueJson, "valueJson");
        Checks.notNull(confidence, "confidence");
        if (confidence.signum() < 0 || confidence.compareTo(BigDecimal.ONE) > 0 || confidence.stripTrailingZeros().scale() > 3) {
            throw new InvalidRequestException("confidence must be 0..1 with at most 3 decimals, got " + confidence);
        }
    }

    public static NewExtraction of(UUID conversationId, RequirementType type, String valueJson, BigDecimal confidence) {
        return new NewExtraction(conversationId, Optional.empty(), type, valueJson, confidence);
    }

    /** The same extraction, linked to the manifest it went into. */
    public NewExtraction forManifest(UUID manifestId) {
        return new NewExtraction(conversationId, Optional.of(Checks.notNull(manifestId, "manifestId")), type, valueJson, confidence);
    }
}
