package io.honua.db.credentials;


import io.honua.db.types.DbEnum;

/** Container registries a credential can be for (the seed's list). */
public enum RegistryType implements DbEnum {
    DOCKERHUB, ECR, GCR, ACR, HARBOR, QUAY;
}
