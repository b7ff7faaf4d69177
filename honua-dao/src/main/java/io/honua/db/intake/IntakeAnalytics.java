package io.honua.db.intake;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.internal.ErrorTranslator.call;
import static io.honua.db.schema.generated.Tables.ACTIVE_CONVERSATIONS;
import static io.honua.db.schema.generated.Tables.CONVERSATION_PERFORMANCE_SUMMARY;
import static io.honua.db.schema.generated.Tables.EXTRACTION_ACCURACY;
import static io.honua.db.schema.generated.Tables.INTENT_ANALYTICS;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.schema.generated.tables.records.ActiveConversationsRecord;
import io.honua.db.types.CustomerId;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * Typed reads of the intake views. Each method is one query on one snapshot; results are never null (empty lists).
 * Thread-safe.
 */
public final class IntakeAnalytics {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.INTAKE);

    private final DSLContext dsl;

    IntakeAnalytics(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
    }

    /** {@code active_conversations}: every active conversation, longest idle first. */
    public List<ActiveConversation> activeConversations() {
        return call(ERRORS, () -> dsl.selectFrom(ACTIVE_CONVERSATIONS).orderBy(ACTIVE_CONVERSATIONS.LAST_ACTIVITY_AT, ACTIVE_CONVERSATIONS.ID)
                .fetch(IntakeAnalytics::active));
    }

    /** Active conversations of one customer, longest idle first. */
    public List<ActiveConversation> activeConversations(String customerId) {
        CustomerId.check(customerId);
        return call(ERRORS, () -> dsl.selectFrom(ACTIVE_CONVERSATIONS).where(ACTIVE_CONVERSATIONS.CUSTOMER_ID.eq(customerId))
                .orderBy(ACTIVE_CONVERSATIONS.LAST_ACTIVITY_AT, ACTIVE_CONVERSATIONS.ID).fetch(IntakeAnalytics::active));
    }

    private static ActiveConversation active(ActiveConversationsRecord r) {
        return new ActiveConversation(r.getId(), r.getCustomerId(), r.getModel(), Optional.ofNullable(r.getDetectedIntent()),
                r.getMessageCount(), r.getTotalTokens(), r.getTotalCostUsd(), r.getStartedAt(), r.getLastActivityAt(),
                r.getIdleFor() == null ? Duration.ZERO : r.getIdleFor().toDuration());
    }

    /** {@code conversation_performance_summary}: one row per model, by model name. */
    public List<ModelPerformance> performanceByModel() {
        var v = CONVERSATION_PERFORMANCE_SUMMARY;
        return call(ERRORS, () -> dsl.selectFrom(v).orderBy(v.MODEL).fetch(r -> new ModelPerformance(r.getModel(), r.getConversations(),
                r.getCompleted(), r.getAbandoned(), r.getCompletionRate(), r.getAvgMessages(), r.getAvgTokens(),
                r.getTotalCostUsd(), Optional.ofNullable(r.getAvgSatisfaction()))));
    }

    /** {@code intent_analytics}: one row per intent, most conversations first, then by intent. */
    public List<IntentStats> intents() {
        var v = INTENT_ANALYTICS;
        return call(ERRORS, () -> dsl.selectFrom(v).orderBy(v.CONVERSATIONS.desc(), v.INTENT).fetch(r -> new IntentStats(r.getIntent(),
                r.getConversations(), r.getCompletionRate(), r.getAvgTokens(), Optional.ofNullable(r.getAvgSatisfaction()),
                r.getManifestsGenerated())));
    }

    /** {@code extraction_accuracy}: one row per requirement type that has extractions, ordered by the type's database name. */
    public List<ExtractionAccuracy> extractionAccuracy() {
        var v = EXTRACTION_ACCURACY;
        return call(ERRORS, () -> dsl.selectFrom(v).orderBy(v.REQUIREMENT_TYPE).fetch(r -> new ExtractionAccuracy(
                r.get(v.REQUIREMENT_TYPE, dbEnum(RequirementType.class)), r.getExtractions(), r.getCorrected(), r.getAccuracy(),
                r.getAvgConfidence(), Optional.ofNullable(r.getAvgConfidenceWhenCorrected()))));
    }
}
