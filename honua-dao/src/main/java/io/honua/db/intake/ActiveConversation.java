package io.honua.db.intake;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** A row of the {@code active_conversations} view: a conversation still active, and how long it has been idle. */
public record ActiveConversation(UUID id, String customerId, String model, Optional<String> detectedIntent, int messageCount,
        long totalTokens, BigDecimal totalCostUsd, Instant startedAt, Instant lastActivityAt, Duration idleFor) {
}
