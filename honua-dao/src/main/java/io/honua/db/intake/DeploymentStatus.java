package io.honua.db.intake;


import io.honua.db.types.DbEnum;

/** Deployment state of a published manifest version. */
public enum DeploymentStatus implements DbEnum {
    NOT_DEPLOYED, DEPLOYING, DEPLOYED, FAILED;
}
