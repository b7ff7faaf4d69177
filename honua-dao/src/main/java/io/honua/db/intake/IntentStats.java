package io.honua.db.intake;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * A row of {@code intent_analytics}: conversations with one detected intent ("unknown" when none was detected).
 *
 * @param manifestsGenerated distinct manifests (by name; versions of one manifest count once) generated from them
 */
public record IntentStats(String intent, long conversations, BigDecimal completionRate, BigDecimal avgTokens,
        Optional<BigDecimal> avgSatisfaction, long manifestsGenerated) {
}
