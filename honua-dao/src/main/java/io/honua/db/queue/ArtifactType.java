package io.honua.db.queue;

import java.util.Locale;

/** Kinds of build output kept in {@code build_artifacts}. */
public enum ArtifactType {
    CONTAINER_IMAGE, SBOM, SECURITY_SCAN, TEST_REPORT, LOG, OTHER;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
