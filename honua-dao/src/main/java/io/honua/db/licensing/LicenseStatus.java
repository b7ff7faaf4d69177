package io.honua.db.licensing;


import io.honua.db.types.DbEnum;

/** Stored status of a license ({@code licenses.status}). */
public enum LicenseStatus implements DbEnum {
    ACTIVE, TRIAL, EXPIRED, SUSPENDED, REVOKED;
}
