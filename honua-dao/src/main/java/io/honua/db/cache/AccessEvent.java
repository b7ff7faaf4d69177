package io.honua.db.cache;

import io.honua.db.internal.Checks;
import io.honua.db.types.Tier;
import java.time.Instant;

/**
 * One cache access to log: who looked up which (manifest hash, tier), whether it was a hit, and when. Validated on
 * construction, so a recorder never accepts an event the database would refuse for its form. Logged as a hit only
 * when the entry exists at write time.
 *
 * @param accessedAt stored with millisecond precision
 */
public record AccessEvent(String customerId, String manifestHash, Tier tier, boolean hit, Instant accessedAt) {

    public AccessEvent {
        BuildCache.checkCustomer(customerId);
        BuildCache.checkHash(manifestHash);
        Checks.notNull(tier, "tier");
        Checks.notNull(accessedAt, "accessedAt");
    }

    /** An access happening now. */
    public static AccessEvent now(String customerId, String manifestHash, Tier tier, boolean hit) {
        return new AccessEvent(customerId, manifestHash, tier, hit, Instant.now());
    }
}
