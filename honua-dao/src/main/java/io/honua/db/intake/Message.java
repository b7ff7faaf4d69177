package io.honua.db.intake;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.CONVERSATION_MESSAGES;

import io.honua.db.schema.generated.tables.records.ConversationMessagesRecord;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A stored conversation message. Immutable. {@code id} grows in append order.
 *
 * @param functionCallJson the tool/function call payload (JSON object or array), when there is one
 */
public record Message(
        long id,
        UUID conversationId,
        MessageRole role,
        String content,
        int promptTokens,
        int completionTokens,
        int tokens,
        BigDecimal costUsd,
        Optional<String> functionName,
        Optional<String> functionCallJson,
        Instant createdAt) {

    static Message of(ConversationMessagesRecord r) {
        return new Message(r.getId(), r.getConversationId(),
                r.get(CONVERSATION_MESSAGES.ROLE, dbEnum(MessageRole.class)), r.getContent(),
                r.getPromptTokens(), r.getCompletionTokens(), r.getTokens(), r.getCostUsd(),
                Optional.ofNullable(r.getFunctionName()), Optional.ofNullable(r.getFunctionCall()).map(j -> j.data()),
                r.getCreatedAt());
    }
}
