package io.honua.db.intake;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.CONVERSATIONS;

import io.honua.db.schema.generated.tables.records.ConversationsRecord;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A conversation as stored in {@code conversations}, read at one instant. Immutable. The counters and totals are
 * maintained by the database ({@code update_conversation_stats}) and are exact: the sums over its messages.
 */
public record Conversation(
        UUID id,
        String customerId,
        ConversationStatus status,
        String model,
        Optional<String> detectedIntent,
        int messageCount,
        long promptTokens,
        long completionTokens,
        long totalTokens,
        BigDecimal totalCostUsd,
        Optional<Integer> satisfactionScore,
        String metadataJson,
        Instant startedAt,
        Instant lastActivityAt,
        Optional<Instant> endedAt) {

    static Conversation of(ConversationsRecord r) {
        return new Conversation(r.getId(), r.getCustomerId(),
                r.get(CONVERSATIONS.STATUS, dbEnum(ConversationStatus.class)), r.getModel(),
                Optional.ofNullable(r.getDetectedIntent()), r.getMessageCount(), r.getPromptTokens(), r.getCompletionTokens(),
                r.getTotalTokens(), r.getTotalCostUsd(), Optional.ofNullable(r.getSatisfactionScore()).map(Short::intValue),
                r.getMetadata().data(), r.getStartedAt(), r.getLastActivityAt(), Optional.ofNullable(r.getEndedAt()));
    }
}
