package io.honua.db.queue;


import io.honua.db.types.DbEnum;

/** Kinds of build output kept in {@code build_artifacts}. */
public enum ArtifactType implements DbEnum {
    CONTAINER_IMAGE, SBOM, SECURITY_SCAN, TEST_REPORT, LOG, OTHER;
}
