package io.honua.db.tenancy;

import io.honua.db.internal.Checks;
import io.honua.db.types.Tier;
import java.util.Objects;
import java.util.Optional;

/**
 * A customer to create. Build with {@link #builder(String, String)}; values are checked by {@link Customers#create}.
 *
 * @param customerId   1..100 characters: letters, digits, {@code . _ -}, starting with a letter or digit
 * @param metadataJson a JSON object
 */
public record NewCustomer(String customerId, String name, Optional<String> email, SubscriptionStatus subscriptionStatus, Tier tier,
                          String metadataJson) {

    public NewCustomer {
        Objects.requireNonNull(email, "email");
        Checks.notNull(subscriptionStatus, "subscriptionStatus");
        Checks.notNull(tier, "tier");
        Checks.notNull(metadataJson, "metadataJson");
    }

    public static Builder builder(String customerId, String name) {
        return new Builder(customerId, name);
    }

    /** Defaults: no email, status TRIAL, tier FREE, metadata {@code {}}. */
    public static final class Builder {
        private final String customerId;
        private final String name;
        private String email;
        private SubscriptionStatus status = SubscriptionStatus.TRIAL;
        private Tier tier = Tier.FREE;
        private String metadataJson = "{}";

        private Builder(String customerId, String name) {
            this.customerId = customerId;
            this.name = name;
        }

        public Builder email(String email) {
            this.email = email;
            return this;
        }

        public Builder subscriptionStatus(SubscriptionStatus status) {
            this.status = status;
            return this;
        }

        public Builder tier(Tier tier) {
            this.tier = tier;
            return this;
        }

        public Builder metadataJson(String metadataJson) {
            this.metadataJson = metadataJson;
            return this;
        }

        public NewCustomer build() {
            return new NewCustomer(customerId, name, Optional.ofNullable(email), status, tier, metadataJson);
        }
    }
}
