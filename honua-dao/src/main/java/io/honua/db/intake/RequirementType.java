package io.honua.db.intake;


import io.honua.db.types.DbEnum;

/** Kind of requirement the AI extracted from a conversation. */
public enum RequirementType implements DbEnum {
    LANGUAGE, FRAMEWORK, RUNTIME, DEPENDENCY, BUILD_COMMAND, TEST_COMMAND, DEPLOYMENT_TARGET, RESOURCE_LIMIT, ENVIRONMENT, OTHER;
}
