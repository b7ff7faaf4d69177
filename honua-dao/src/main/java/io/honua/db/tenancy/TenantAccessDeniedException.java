package io.honua.db.tenancy;

import io.honua.db.core.HonuaException;

/**
 * The database refused the operation for the current role or tenant (SQLSTATE 42501: a row-level security policy or a
 * missing privilege). Nothing was changed.
 */
public class TenantAccessDeniedException extends HonuaException {

    private static final long serialVersionUID = 1L;

    public TenantAccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }

    public TenantAccessDeniedException(String message) {
        super(message);
    }
}
