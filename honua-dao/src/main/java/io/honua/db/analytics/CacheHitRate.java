package io.honua.db.analytics;

import java.math.BigDecimal;

/**
 * Cache hits and misses of one customer over a period of whole UTC days (today included).
 *
 * @param hitRate hits / total accesses, rounded to 4 decimals (0..1)
 */
public record CacheHitRate(String customerId, long totalAccesses, long hits, long misses, BigDecimal hitRate) {
}
