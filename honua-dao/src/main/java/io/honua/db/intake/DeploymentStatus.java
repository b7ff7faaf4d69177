package io.honua.db.intake;

import java.util.Locale;

/** Deployment state of a published manifest version. */
public enum DeploymentStatus {
    NOT_DEPLOYED, DEPLOYING, DEPLOYED, FAILED;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DeploymentStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
