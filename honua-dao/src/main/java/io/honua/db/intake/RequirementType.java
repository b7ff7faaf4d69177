package io.honua.db.intake;

import java.util.Locale;

/** Kind of requirement the AI extracted from a conversation. */
public enum RequirementType {
    LANGUAGE, FRAMEWORK, RUNTIME, DEPENDENCY, BUILD_COMMAND, TEST_COMMAND, DEPLOYMENT_TARGET, RESOURCE_LIMIT, ENVIRONMENT, OTHER;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RequirementType fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
