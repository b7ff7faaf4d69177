package io.honua.db.intake;

import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.REQUIREMENT_EXTRACTIONS;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;

/**
 * Requirements the AI extracted from conversations, with confidence, and the human corrections that make
 * {@link IntakeAnalytics#extractionAccuracy()} meaningful. Each call is one statement (atomic); bad input raises a
 * typed exception and changes nothing. Thread-safe.
 */
public final class Extractions {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.INTAKE);

    private final DSLContext dsl;

    Extractions(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
    }

    /**
     * Stores an extraction (also for conversations that already ended: extraction may run afterwards).
     *
     * @throws UnknownConversationException / UnknownManifestException for unknown references
     */
    public Extraction record(NewExtraction extraction) {
        Checks.notNull(extraction, "extraction");
        return call(ERRORS, () -> Extraction.of(dsl.insertInto(REQUIREMENT_EXTRACTIONS)
                .set(REQUIREMENT_EXTRACTIONS.CONVERSATION_ID, extraction.conversationId())
                .set(REQUIREMENT_EXTRACTIONS.MANIFEST_ID, extraction.manifestId().orElse(null))
                .set(REQUIREMENT_EXTRACTIONS.REQUIREMENT_TYPE, extraction.type().dbValue())
                .set(REQUIREMENT_EXTRACTIONS.EXTRACTED_VALUE, JSONB.valueOf(extraction.valueJson()))
                .set(REQUIREMENT_EXTRACTIONS.CONFIDENCE, extraction.confidence())
                .returning().fetchSingle()));
    }

    /**
     * Records a human correction: the extraction counts as corrected (wrong) from now on; a later correction replaces
     * the corrected value.
     */
    public Extraction correct(UUID extractionId, String correctedValueJson) {
        Checks.notNull(extractionId, "extractionId");
        Checks.notNull(correctedValueJson, "correctedValueJson");
        return call(ERRORS, () -> dsl.update(REQUIREMENT_EXTRACTIONS)
                .set(REQUIREMENT_EXTRACTIONS.WAS_CORRECTED, true)
                .set(REQUIREMENT_EXTRACTIONS.CORRECTED_VALUE, JSONB.valueOf(correctedValueJson))
                .where(REQUIREMENT_EXTRACTIONS.ID.eq(extractionId)).returning().fetchOptional())
                .map(Extraction::of)
                .orElseThrow(() -> new UnknownExtractionException("no extraction " + extractionId));
    }

    /** Links an extraction to the manifest it went into. */
    public Extraction linkToManifest(UUID extractionId, UUID manifestId) {
        Checks.notNull(extractionId, "extractionId");
        Checks.notNull(manifestId, "manifestId");
        return call(ERRORS, () -> dsl.update(REQUIREMENT_EXTRACTIONS)
                .set(REQUIREMENT_EXTRACTIONS.MANIFEST_ID, manifestId)
                .where(REQUIREMENT_EXTRACTIONS.ID.eq(extractionId)).returning().fetchOptional())
                .map(Extraction::of)
                .orElseThrow(() -> new UnknownExtractionException("no extraction " + extractionId));
    }

    public Optional<Extraction> find(UUID extractionId) {
        Checks.notNull(extractionId, "extractionId");
        return call(ERRORS, () -> dsl.selectFrom(REQUIREMENT_EXTRACTIONS).where(REQUIREMENT_EXTRACTIONS.ID.eq(extractionId))
                .fetchOptional().map(Extraction::of));
    }

    /** Extractions of a conversation in the order they were stored. */
    public List<Extraction> ofConversation(UUID conversationId) {
        Checks.notNull(conversationId, "conversationId");
        return call(ERRORS, () -> dsl.selectFrom(REQUIREMENT_EXTRACTIONS).where(REQUIREMENT_EXTRACTIONS.CONVERSATION_ID.eq(conversationId))
                .orderBy(REQUIREMENT_EXTRACTIONS.CREATED_AT, REQUIREMENT_EXTRACTIONS.ID).fetch(Extraction::of));
    }
}
