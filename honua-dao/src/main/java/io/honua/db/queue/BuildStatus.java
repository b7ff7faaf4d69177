package io.honua.db.queue;


import io.honua.db.types.DbEnum;

/** Life cycle of a build: QUEUED → BUILDING → COMPLETED | FAILED | TIMEOUT, and CANCELLED from QUEUED or BUILDING. */
public enum BuildStatus implements DbEnum {
    QUEUED, BUILDING, COMPLETED, FAILED, CANCELLED, TIMEOUT;

    /** True when the build will not change any more. */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED || this == TIMEOUT;
    }
}
