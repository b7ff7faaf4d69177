package io.honua.db.licensing;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.CustomerId;
import io.honua.db.types.Tier;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What to issue. Build with {@link #builder(String, Tier)}; defaults follow the schema (100 builds / month,
 * 1 registry, 1 concurrent build, no flags, no expiry, not a trial).
 *
 * @param trialEndsAt present for a trial license (status TRIAL until then)
 * @param expiresAt   absent: never expires
 */
public record NewLicense(String customerId, Tier tier, Map<String, Boolean> featureFlags, int maxBuildsPerMonth,
                         int maxRegistries, int maxConcurrentBuilds, Optional<Instant> trialEndsAt, Optional<Instant> expiresAt) {

    public NewLicense {
        CustomerId.check(customerId);
        Checks.notNull(tier, "tier");
        featureFlags = FeatureFlags.checked(featureFlags).asMap();
        Checks.range(maxBuildsPerMonth, 1, Integer.MAX_VALUE, "maxBuildsPerMonth");
        Checks.range(maxRegistries, 1, Integer.MAX_VALUE, "maxRegistries");
        Checks.range(maxConcurrentBuilds, 1, Integer.MAX_VALUE, "maxConcurrentBuilds");
        Checks.notNull(trialEndsAt, "trialEndsAt");
        Checks.notNull(expiresAt, "expiresAt");
        if (trialEndsAt.isPresent() && expiresAt.isPresent() && trialEndsAt.get().isAfter(expiresAt.get())) {
            throw new InvalidRequestException("a trial cannot end after the license expires");
        }
    }

    public boolean trial() {
        return trialEndsAt.isPresent();
    }

    public static Builder builder(String customerId, Tier tier) {
        return new Builder(customerId, tier);
    }

    /** Builder for {@link NewLicense}; {@link #build()} validates. */
    public static final class Builder {
        private final String customerId;
        private final Tier tier;
        private final Map<String, Boolean> flags = new TreeMap<>();
        private int maxBuildsPerMonth = 100;
        private int maxRegistries = 1;
        private int maxConcurrentBuilds = 1;
        private Instant trialEndsAt;
        private Instant expiresAt;

        private Builder(String customerId, Tier tier) {
            this.customerId = customerId;
            this.tier = tier;
        }

        public Builder flag(String name, boolean enabled) {
            flags.put(Checks.notNull(name, "flag name"), enabled);
            return this;
        }

        public Builder flags(Map<String, Boolean> all) {
            Checks.notNull(all, "flags");
            all.forEach((k, v) -> flags.put(Checks.notNull(k, "flag name"), Checks.notNull(v, "flag " + k)));
            return this;
        }

        public Builder maxBuildsPerMonth(int n) {
            this.maxBuildsPerMonth = n;
            return this;
        }

        public Builder maxRegistries(int n) {
            this.maxRegistries = n;
            return this;
        }

        public Builder maxConcurrentBuilds(int n) {
            this.maxConcurrentBuilds = n;
            return this;
        }

        /** Makes it a trial ending at {@code endsAt}. */
        public Builder trialUntil(Instant endsAt) {
            this.trialEndsAt = Checks.notNull(endsAt, "trialEndsAt");
            return this;
        }

        public Builder expiresAt(Instant at) {
            this.expiresAt = Checks.notNull(at, "expiresAt");
            return this;
        }

        public NewLicense build() {
            return new NewLicense(customerId, tier, flags, maxBuildsPerMonth, maxRegistries, maxConcurrentBuilds,
                    Optional.ofNullable(trialEndsAt), Optional.ofNullable(expiresAt));
        }
    }
}
