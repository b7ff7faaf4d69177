package io.honua.db.intake;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * A row of {@code extraction_accuracy}: extractions of one requirement type.
 *
 * @param accuracy                    1 - corrected / extractions, 4 decimals
 * @param avgConfidenceWhenCorrected  empty when none was corrected
 */
public record ExtractionAccuracy(RequirementType type, long extractions, long corrected, BigDecimal accuracy,
        BigDecimal avgConfidence, Optional<BigDecimal> avgConfidenceWhenCorrected) {
}
