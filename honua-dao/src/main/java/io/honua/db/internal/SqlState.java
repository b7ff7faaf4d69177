package io.honua.db.internal;

import io.honua.db.apikeys.UnknownApiKeyException;
import io.honua.db.cache.TierNotAllowedException;
import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.NotFoundException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.intake.ConversationClosedException;
import io.honua.db.intake.ManifestNotValidException;
import io.honua.db.intake.ManifestPublishedException;
import io.honua.db.intake.UnknownConversationException;
import io.honua.db.intake.UnknownManifestException;
import io.honua.db.licensing.InvalidLicenseException;
import io.honua.db.licensing.LicenseCheck;
import io.honua.db.licensing.MalformedFeatureFlagsException;
import io.honua.db.licensing.Quota;
import io.honua.db.licensing.QuotaExceededException;
import io.honua.db.queue.DatabaseUnavailableException;
import io.honua.db.queue.DependencyCycleException;
import io.honua.db.tenancy.TenantAccessDeniedException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The SQLSTATE catalogue: every SQLSTATE Honua DB's SQL raises on purpose (classes {@code HA}, {@code HI},
 * {@code HL}, {@code HN}, {@code HQ}) and every standard SQLSTATE {@link ErrorTranslator} maps, each defined once
 * with the exception it becomes. The only place in Java that names a SQLSTATE.
 *
 * <table>
 *   <caption>SQLSTATEs raised by Honua DB's SQL functions and triggers</caption>
 *   <tr><th>SQLSTATE</th><th>Raised by</th><th>Meaning</th><th>Exception</th></tr>
 *   <tr><td>HA001</td><td>admin functions (R__audit_tenancy, R__licensing)</td><td>unknown customer</td><td>UnknownCustomerException</td></tr>
 *   <tr><td>HA002</td><td>license admin functions</td><td>the customer has no such license</td><td>UnknownLicenseException</td></tr>
 *   <tr><td>HA003</td><td>revoke_api_key</td><td>the customer has no such API key</td><td>UnknownApiKeyException</td></tr>
 *   <tr><td>HA004</td><td>admin functions</td><td>the row's state forbids the change (license not suspended, customer soft-deleted)</td><td>ConflictException</td></tr>
 *   <tr><td>HA005</td><td>license admin functions</td><td>malformed feature flags</td><td>MalformedFeatureFlagsException</td></tr>
 *   <tr><td>HI001</td><td>conversations_status_guard</td><td>forbidden conversation status transition</td><td>ConversationClosedException</td></tr>
 *   <tr><td>HI002</td><td>conversation message trigger</td><td>no such conversation</td><td>UnknownConversationException</td></tr>
 *   <tr><td>HI003</td><td>conversation message trigger</td><td>conversation closed, takes no messages</td><td>ConversationClosedException</td></tr>
 *   <tr><td>HI004</td><td>manifest guard</td><td>published manifest is immutable</td><td>ManifestPublishedException</td></tr>
 *   <tr><td>HI005</td><td>manifest guard</td><td>manifest not validated, cannot be published</td><td>ManifestNotValidException</td></tr>
 *   <tr><td>HI006</td><td>manifest guard</td><td>unpublished manifest cannot be deployed</td><td>ConflictException</td></tr>
 *   <tr><td>HI007</td><td>new manifest version</td><td>no such manifest</td><td>UnknownManifestException</td></tr>
 *   <tr><td>HI008</td><td>new manifest version</td><td>conflicting version</td><td>ConflictException</td></tr>
 *   <tr><td>HI009</td><td>manifest guard</td><td>conflicting manifest state</td><td>ConflictException</td></tr>
 *   <tr><td>HL001</td><td>build_queue_license_quota</td><td>builds-per-month quota exceeded; DETAIL {@code builds_per_month:<limit>:<used>}</td><td>QuotaExceededException</td></tr>
 *   <tr><td>HL002</td><td>registry_credentials_license_quota</td><td>registries quota exceeded; DETAIL {@code registries:<limit>:<used>}</td><td>QuotaExceededException</td></tr>
 *   <tr><td>HL003</td><td>both license quota triggers</td><td>the customer has licenses but none is valid; DETAIL {@code license_status:<REVOKED|SUSPENDED|EXPIRED>}</td><td>InvalidLicenseException with that verdict</td></tr>
 *   <tr><td>HN403</td><td>cache_register</td><td>the customer's tier may not use this cache tier</td><td>TierNotAllowedException</td></tr>
 *   <tr><td>HN404</td><td>cache functions</td><td>unknown customer</td><td>UnknownCustomerException</td></tr>
 *   <tr><td>HQ001</td><td>build dependency trigger</td><td>dependency cycle</td><td>DependencyCycleException</td></tr>
 *   <tr><td>HQ002</td><td>build dependency trigger</td><td>dependency not allowed in the build's state</td><td>ConflictException</td></tr>
 *   <tr><td>42501</td><td>row-level security, privileges, append-only audit, worker guard</td><td>insufficient privilege</td><td>TenantAccessDeniedException (UnknownBuildException for a metric of an invisible build)</td></tr>
 *   <tr><td>22023</td><td>argument checks in most functions</td><td>invalid parameter value</td><td>InvalidRequestException</td></tr>
 * </table>
 *
 * <p>Standard SQLSTATEs: 23503 (foreign key) becomes UnknownCustomerException when the constraint is on a
 * {@code customer_id}, else the capability's not-found exception; 23505 (unique) ConflictException (CustomerExistsException
 * for customers); 23502, 23514, 22001, 22007, 22008, 22021 (NUL or invalid byte in text), 22P02, 22P05 and 22023
 * InvalidRequestException; connection failures (class 08, 57P01..57P03, 53300, pool timeouts)
 * DatabaseUnavailableException / PoolExhaustedException; anything else HonuaException (42883, and 42804, 42P13, 0A000,
 * which the queue recognises as a row type changed under a running statement and runs once more).
 *
 * <p>Classes of SQLSTATEs are named by {@link Category} (the cache access recorder tells transient failures from
 * permanent ones by them). No other Java source names a SQLSTATE or a SQLSTATE class
 * ({@code ErrorPathTest.noSqlStateLiteralOutsideTheCatalogue}).
 */
public enum SqlState {

    // ---- raised by Honua DB's SQL -------------------------------------------------------------------------------
    HA001("HA001", f -> unknownCustomer(f)),
    HA002("HA002", f -> new io.honua.db.licensing.UnknownLicenseException(f.message())),
    HA003("HA003", f -> new UnknownApiKeyException(f.message())),
    HA004("HA004", f -> new ConflictException(f.message(), f.cause())),
    HA005("HA005", f -> new MalformedFeatureFlagsException("feature flags rejected: " + f.message(), f.cause())),
    HI001("HI001", f -> new ConversationClosedException(f.message(), f.cause())),
    HI002("HI002", f -> new UnknownConversationException(f.message(), f.cause())),
    HI003("HI003", f -> new ConversationClosedException(f.message(), f.cause())),
    HI004("HI004", f -> new ManifestPublishedException(f.message(), f.cause())),
    HI005("HI005", f -> new ManifestNotValidException(f.message(), f.cause())),
    HI006("HI006", f -> new ConflictException(f.message(), f.cause())),
    HI007("HI007", f -> new UnknownManifestException(f.message(), f.cause())),
    HI008("HI008", f -> new ConflictException(f.message(), f.cause())),
    HI009("HI009", f -> new ConflictException(f.message(), f.cause())),
    HL001("HL001", f -> quota(Quota.BUILDS_PER_MONTH, f)),
    HL002("HL002", f -> quota(Quota.REGISTRIES, f)),
    HL003("HL003", f -> new InvalidLicenseException(licenseVerdict(f), f.message(), f.cause())),
    HN403("HN403", f -> new TierNotAllowedException(f.message(), f.cause())),
    HN404("HN404", f -> unknownCustomer(f)),
    HQ001("HQ001", f -> new DependencyCycleException(f.message(), f.cause())),
    HQ002("HQ002", f -> new ConflictException(f.message(), f.cause())),

    // ---- standard SQLSTATEs (refined per capability by ErrorTranslator) ------------------------------------------
    INSUFFICIENT_PRIVILEGE("42501", f -> new TenantAccessDeniedException(f.prefixed(), f.cause())),
    FOREIGN_KEY_VIOLATION("23503", f -> new NotFoundException(f.prefixed(), f.cause())),
    UNIQUE_VIOLATION("23505", f -> new ConflictException(f.prefixed(), f.cause())),
    CHECK_VIOLATION("23514", SqlState::invalid),
    NOT_NULL_VIOLATION("23502", SqlState::invalid),
    INVALID_PARAMETER("22023", SqlState::invalid),
    INVALID_TEXT_REPRESENTATION("22P02", SqlState::invalid),
    UNTRANSLATABLE_CHARACTER("22P05", SqlState::invalid),
    CHARACTER_NOT_IN_REPERTOIRE("22021", SqlState::invalid),
    STRING_TOO_LONG("22001", SqlState::invalid),
    INVALID_DATETIME_FORMAT("22007", SqlState::invalid),
    DATETIME_OUT_OF_RANGE("22008", SqlState::invalid),
    /** Read by the health check: the schema is not migrated (honua_health() missing). */
    UNDEFINED_FUNCTION("42883", SqlState::generic),

    // ---- standard SQLSTATEs a DAO recognises without mapping them to a type of their own -------------------------
    /**
     * With "structure of query does not match function result type": a row type changed under a running statement (a
     * concurrent migration); the queue runs such a statement once more.
     */
    DATATYPE_MISMATCH("42804", SqlState::generic),
    /** With "return type mismatch": as {@link #DATATYPE_MISMATCH}. */
    INVALID_FUNCTION_DEFINITION("42P13", SqlState::generic),
    /** With "cached plan must not change result type": as {@link #DATATYPE_MISMATCH}. */
    FEATURE_NOT_SUPPORTED("0A000", SqlState::generic),

    // ---- the server is unavailable (besides the whole class 08, see {@link #isServerUnavailable}) ----------------
    ADMIN_SHUTDOWN("57P01", SqlState::unavailable),
    CRASH_SHUTDOWN("57P02", SqlState::unavailable),
    CANNOT_CONNECT_NOW("57P03", SqlState::unavailable),
    TOO_MANY_CONNECTIONS("53300", SqlState::unavailable);

    /**
     * SQLSTATE classes (the first two characters of a SQLSTATE) and subclasses the library tells apart without
     * caring for the exact code. The only place, beside the codes of {@link SqlState}, where Java names them.
     */
    public enum Category {
        /** Class 08: a connection could not be opened, or broke. */
        CONNECTION_EXCEPTION("08"),
        /** Class 22: bad data (invalid value, string too long, out of range, ...). */
        DATA_EXCEPTION("22"),
        /** Class 23: a constraint refused the row. */
        INTEGRITY_CONSTRAINT_VIOLATION("23"),
        /** Class 2B: dependent privilege descriptors still exist. */
        DEPENDENT_PRIVILEGE_DESCRIPTORS_STILL_EXIST("2B"),
        /** Class 42: syntax error or access rule violation (also 42501 insufficient privilege). */
        SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION("42"),
        /**
         * PostgreSQL's own operator-intervention codes 57P01..57P05 (server shutting down or crashed, not accepting
         * connections yet, database dropped, idle session timeout): the session is gone.
         */
        SESSION_TERMINATED("57P"),
        /** Class P0: PL/pgSQL error (RAISE EXCEPTION without an ERRCODE, ASSERT). */
        PLPGSQL_ERROR("P0"),
        /** Honua DB's build cache SQLSTATEs ({@link SqlState#HN403}, {@link SqlState#HN404}). */
        HONUA_CACHE("HN");

        private final String prefix;

        Category(String prefix) {
            this.prefix = prefix;
        }

        /** Whether the SQLSTATE belongs to this class; false for {@code null}. */
        public boolean contains(String state) {
            return state != null && state.startsWith(prefix);
        }
    }

    private static final Map<String, SqlState> BY_CODE =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(SqlState::code, s -> s));

    private final String code;
    private final Function<ErrorTranslator.Failure, HonuaException> factory;

    SqlState(String code, Function<ErrorTranslator.Failure, HonuaException> factory) {
        this.code = code;
        this.factory = factory;
    }

    /** The five-character SQLSTATE. */
    public String code() {
        return code;
    }

    /** Whether this is one of Honua DB's own SQLSTATEs (class H..), not a standard one. */
    public boolean custom() {
        return code.charAt(0) == 'H';
    }

    /** The catalogue entry of a SQLSTATE; empty for one the catalogue does not list. */
    public static Optional<SqlState> of(String code) {
        return Optional.ofNullable(code == null ? null : BY_CODE.get(code));
    }

    /** Whether a DataAccessException carries this SQLSTATE. */
    public boolean is(org.jooq.exception.DataAccessException e) {
        return code.equals(e.sqlState());
    }

    HonuaException exception(ErrorTranslator.Failure failure) {
        return factory.apply(failure);
    }

    /**
     * Whether the SQLSTATE says the server cannot be reached or used: a connection could not be opened or broke
     * (class 08), the server is shutting down, crashed or starting (57P01..57P03), or refuses more connections (53300).
     */
    public static boolean isServerUnavailable(String state) {
        if (Category.CONNECTION_EXCEPTION.contains(state)) {
            return true;
        }
        SqlState s = state == null ? null : BY_CODE.get(state);
        return s == ADMIN_SHUTDOWN || s == CRASH_SHUTDOWN || s == CANNOT_CONNECT_NOW || s == TOO_MANY_CONNECTIONS;
    }

    private static HonuaException generic(ErrorTranslator.Failure f) {
        return new HonuaException(f.prefixed(), f.cause());
    }

    /** Reached only when {@link ErrorTranslator#unavailable} did not see the failure's SQLException; same exception. */
    private static HonuaException unavailable(ErrorTranslator.Failure f) {
        return new DatabaseUnavailableException("database unavailable (" + f.state() + "): " + f.message(), f.cause());
    }

    private static HonuaException invalid(ErrorTranslator.Failure f) {
        return new InvalidRequestException(f.prefixed(), f.cause());
    }

    private static HonuaException unknownCustomer(ErrorTranslator.Failure f) {
        return new UnknownCustomerException(f.message().contains("unknown customer") ? f.message() : "unknown customer: " + f.message(),
                f.cause());
    }

    private static QuotaExceededException quota(Quota quota, ErrorTranslator.Failure f) {
        long limit = -1;
        long used = -1;
        // DETAIL is "<quota>:<limit>:<used>"
        String[] parts = f.detail().orElse("").split(":");
        if (parts.length == 3) {
            try {
                limit = Long.parseLong(parts[1]);
                used = Long.parseLong(parts[2]);
            } catch (NumberFormatException ignored) {
                // keep -1
            }
        }
        return new QuotaExceededException(quota, limit, used, f.message(), f.cause());
    }

    /** DETAIL "license_status:REVOKED" etc.; EXPIRED when absent (a database not yet migrated to R__licensing's DETAIL). */
    private static LicenseCheck.Verdict licenseVerdict(ErrorTranslator.Failure f) {
        String detail = f.detail().orElse("");
        if (detail.startsWith("license_status:")) {
            try {
                LicenseCheck.Verdict v = LicenseCheck.Verdict.valueOf(detail.substring("license_status:".length()));
                if (v == LicenseCheck.Verdict.REVOKED || v == LicenseCheck.Verdict.SUSPENDED || v == LicenseCheck.Verdict.EXPIRED) {
                    return v;
                }
            } catch (IllegalArgumentException ignored) {
                // fall through
            }
        }
        return LicenseCheck.Verdict.EXPIRED;
    }
}
