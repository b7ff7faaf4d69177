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
 * DatabaseUnavailableException / PoolExhaustedException; anything else HonuaException.
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
    UNDEFINED_FUNCTION("42883", f -> new HonuaException(f.prefixed(), f.cause()));

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
