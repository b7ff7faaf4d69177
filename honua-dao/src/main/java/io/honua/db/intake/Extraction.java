package io.honua.db.intake;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.REQUIREMENT_EXTRACTIONS;

import io.honua.db.schema.generated.tables.records.RequirementExtractionsRecord;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A requirement the AI extracted from a conversation. Immutable.
 *
 * @param confidence         0..1 (three decimals)
 * @param correctedValueJson present once a human corrected the extraction
 */
public record Extraction(
        UUID id,
        UUID conversationId,
        Optional<UUID> manifestId,
        RequirementType type,
        String extractedValueJson,
        BigDecimal confidence,
        boolean corrected,
        Optional<String> correctedValueJson,
        Instant createdAt) {

    static Extraction of(RequirementExtractionsRecord r) {
        return new Extraction(r.getId(), r.getConversationId(), Optional.ofNullable(r.getManifestId()),
                r.get(REQUIREMENT_EXTRACTIONS.REQUIREMENT_TYPE, dbEnum(RequirementType.class)),
                r.getExtractedValue().data(), r.getConfidence(),
                r.getWasCorrected(), Optional.ofNullable(r.getCorrectedValue()).map(j -> j.data()), r.getCreatedAt());
    }
}
