package io.honua.db.intake;

import io.honua.db.internal.Checks;
import io.honua.db.types.CustomerId;
import java.util.Optional;

/**
 * A conversation to start. Build with {@link #builder(String, String)}; values are checked on construction
 * ({@link io.honua.db.core.InvalidRequestException}); the JSON is checked by the database.
 *
 * @param metadataJson a JSON object, default {@code {}}
 */
public record NewConversation(String customerId, String model, Optional<String> detectedIntent, String metadataJson) {

    public NewConversation {
        CustomerId.check(customerId);
        Checks.text(model, "model", 200);
        Checks.notNull(detectedIntent, "detectedIntent").ifPresent(i -> Checks.text(i, "detectedIntent", 200));
        Checks.notNull(metadataJson, "metadataJson");
    }

    public static Builder builder(String customerId, String model) {
        return new Builder(customerId, model);
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private final String customerId;
        private final String model;
        private String detectedIntent;
        private String metadataJson = "{}";

        private Builder(String customerId, String model) {
            this.customerId = customerId;
            this.model = model;
        }

        public Builder detectedIntent(String intent) {
            this.detectedIntent = Checks.notNull(intent, "detectedIntent");
            return this;
        }

        /** Free-form metadata, a JSON object. */
        public Builder metadata(String json) {
            this.metadataJson = Checks.notNull(json, "metadata");
            return this;
        }

        public NewConversation build() {
            return new NewConversation(customerId, model, Optional.ofNullable(detectedIntent), metadataJson);
        }
    }
}
