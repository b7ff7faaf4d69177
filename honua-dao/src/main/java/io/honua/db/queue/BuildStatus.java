package io.honua.db.queue;

import java.util.Locale;

/** Life cycle of a build: QUEUED → BUILDING → COMPLETED | FAILED | TIMEOUT, and CANCELLED from QUEUED or BUILDING. */
public enum BuildStatus {
    QUEUED, BUILDING, COMPLETED, FAILED, CANCELLED, TIMEOUT;

    /** The value stored in {@code build_queue.status}. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static BuildStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** True when the build will not change any more. */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED || this == TIMEOUT;
    }
}
