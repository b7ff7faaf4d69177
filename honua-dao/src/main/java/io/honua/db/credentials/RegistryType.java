package io.honua.db.credentials;

import io.honua.db.core.InvalidRequestException;
import java.util.Locale;

/** Container registries a credential can be for (the seed's list). */
public enum RegistryType {
    DOCKERHUB, ECR, GCR, ACR, HARBOR, QUAY;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RegistryType fromDb(String value) {
        for (RegistryType t : values()) {
            if (t.dbValue().equals(value)) {
                return t;
            }
        }
        throw new InvalidRequestException("unknown registry type: " + value);
    }
}
