package io.honua.db.tenancy;

import static io.honua.db.internal.DbEnumConverter.dbEnum;
import static io.honua.db.schema.generated.Tables.CUSTOMERS;

import io.honua.db.schema.generated.tables.records.CustomersRecord;
import io.honua.db.types.Tier;
import java.time.Instant;
import java.util.Optional;

/**
 * A customer (tenant) as stored.
 *
 * @param metadataJson a JSON object, never null ({@code "{}"} when empty)
 * @param deletedAt    present when the customer is soft-deleted; {@link Customers#purge} removes it for good later
 */
public record Customer(String customerId, String name, Optional<String> email, SubscriptionStatus subscriptionStatus, Tier tier,
                       String metadataJson, Instant createdAt, Instant updatedAt, Optional<Instant> deletedAt) {

    public boolean isDeleted() {
        return deletedAt.isPresent();
    }

    static Customer of(CustomersRecord r) {
        return new Customer(r.getCustomerId(), r.getName(), Optional.ofNullable(r.getEmail()),
                r.get(CUSTOMERS.SUBSCRIPTION_STATUS, dbEnum(SubscriptionStatus.class)),
                r.get(CUSTOMERS.TIER, dbEnum(Tier.class)),
                r.getMetadata() == null ? "{}" : r.getMetadata().data(), r.getCreatedAt(), r.getUpdatedAt(),
                Optional.ofNullable(r.getDeletedAt()));
    }
}
