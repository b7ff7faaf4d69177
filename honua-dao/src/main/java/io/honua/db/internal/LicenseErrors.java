package io.honua.db.internal;

import io.honua.db.core.HonuaException;
import io.honua.db.licensing.InvalidLicenseException;
import io.honua.db.licensing.LicenseCheck;
import io.honua.db.licensing.Quota;
import io.honua.db.licensing.QuotaExceededException;
import java.util.Optional;
import org.jooq.exception.DataAccessException;

/**
 * Maps the licensing SQLSTATEs of migration V11 to typed exceptions; used by every DAO whose writes the license
 * triggers guard (the build queue, registry credentials). Also names the SQLSTATEs of the administrative functions
 * ({@code HA001}..{@code HA005}), which the licensing, API key and customer DAOs map to their typed exceptions.
 */
public final class LicenseErrors {

    /** Builds-per-month quota exceeded. */
    public static final String BUILDS_QUOTA = "HL001";
    /** Registries quota exceeded. */
    public static final String REGISTRIES_QUOTA = "HL002";
    /** The customer has licenses but none is valid. */
    public static final String NO_VALID_LICENSE = "HL003";

    // The administrative functions (R__audit_tenancy.sql, R__licensing.sql; issue 12): see honua_admin_enter().
    /** An administrative function was given an unknown customer. */
    public static final String UNKNOWN_CUSTOMER = "HA001";
    /** An administrative function was given a license the customer does not have. */
    public static final String UNKNOWN_LICENSE = "HA002";
    /** {@code revoke_api_key} was given a key the customer does not have. */
    public static final String UNKNOWN_API_KEY = "HA003";
    /** The row's state forbids the change (a license not suspended, a soft-deleted customer). */
    public static final String STATE_CONFLICT = "HA004";
    /** Feature flags that are not a JSON object of boolean values with valid names. */
    public static final String MALFORMED_FLAGS = "HA005";

    private LicenseErrors() {
    }

    /** The typed exception for a licensing SQLSTATE; empty for any other error. */
    public static Optional<HonuaException> translate(DataAccessException e) {
        String state = e.sqlState() == null ? "" : e.sqlState();
        String message = SqlErrors.serverMessage(e);
        return switch (state) {
            case BUILDS_QUOTA -> Optional.of(quota(Quota.BUILDS_PER_MONTH, e, message));
            case REGISTRIES_QUOTA -> Optional.of(quota(Quota.REGISTRIES, e, message));
            case NO_VALID_LICENSE -> Optional.of(new InvalidLicenseException(LicenseCheck.Verdict.EXPIRED, message, e));
            default -> Optional.empty();
        };
    }

    private static QuotaExceededException quota(Quota quota, DataAccessException e, String message) {
        long limit = -1;
        long used = -1;
        // DETAIL is "<quota>:<limit>:<used>"
        String detail = detail(e);
        if (detail != null) {
            String[] parts = detail.split(":");
            if (parts.length == 3) {
                try {
                    limit = Long.parseLong(parts[1]);
                    used = Long.parseLong(parts[2]);
                } catch (NumberFormatException ignored) {
                    // keep -1
                }
            }
        }
        return new QuotaExceededException(quota, limit, used, message, e);
    }

    private static String detail(DataAccessException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
                return p.getServerErrorMessage().getDetail();
            }
        }
        return null;
    }
}
