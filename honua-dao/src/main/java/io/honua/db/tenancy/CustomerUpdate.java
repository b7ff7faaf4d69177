package io.honua.db.tenancy;

import io.honua.db.types.Tier;
import java.util.Optional;

/**
 * Changes to a customer; absent values stay as they are. Build with {@link #builder()}.
 *
 * @param email present with an empty string to remove the email
 */
public record CustomerUpdate(Optional<String> name, Optional<String> email, Optional<SubscriptionStatus> subscriptionStatus,
                             Optional<Tier> tier, Optional<String> metadataJson) {

    public static Builder builder() {
        return new Builder();
    }

    boolean isEmpty() {
        return name.isEmpty() && email.isEmpty() && subscriptionStatus.isEmpty() && tier.isEmpty() && metadataJson.isEmpty();
    }

    /** Collects the fields to change; unset fields stay as they are. Not thread-safe. */
    public static final class Builder {
        private String name;
        private String email;
        private SubscriptionStatus status;
        private Tier tier;
        private String metadataJson;

        private Builder() {
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** An empty string removes the email. */
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

        public CustomerUpdate build() {
            return new CustomerUpdate(Optional.ofNullable(name), Optional.ofNullable(email), Optional.ofNullable(status),
                    Optional.ofNullable(tier), Optional.ofNullable(metadataJson));
        }
    }
}
