package io.honua.db.intake;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * A row of {@code conversation_performance_summary}: conversations of one model (all statuses).
 *
 * @param completionRate  completed / all, 4 decimals
 * @param avgSatisfaction over rated conversations; empty when none was rated
 */
public record ModelPerformance(String model, long conversations, long completed, long abandoned, BigDecimal completionRate,
        BigDecimal avgMessages, BigDecimal avgTokens, BigDecimal totalCostUsd, Optional<BigDecimal> avgSatisfaction) {
}
