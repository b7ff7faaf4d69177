package io.honua.db.internal;

import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.core.NotFoundException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.intake.UnknownConversationException;
import io.honua.db.intake.UnknownManifestException;
import io.honua.db.licensing.MalformedFeatureFlagsException;
import io.honua.db.queue.DatabaseUnavailableException;
import io.honua.db.queue.DependencyCycleException;
import io.honua.db.queue.PoolExhaustedException;
import io.honua.db.queue.UnknownBuildException;
import io.honua.db.tenancy.CustomerExistsException;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jooq.exception.DataAccessException;

/**
 * The one place where a database error becomes a typed {@link HonuaException}. Every DAO runs its statements through
 * {@link #call(ErrorScope, Supplier)} (or hands a caught {@link DataAccessException} to {@link #translate}); the
 * SQLSTATEs and the exceptions they become are catalogued in {@link SqlState}.
 *
 * <p>Order: an exception the library threw on purpose inside a jOOQ callback passes through unchanged; connection
 * failures become {@link DatabaseUnavailableException} / {@link PoolExhaustedException}; Honua's own SQLSTATEs their
 * catalogue entry; the standard ones their catalogue entry, refined by the constraint and capability (a foreign key on
 * {@code customer_id} is an unknown customer, a unique violation in {@code customers} an existing customer, ...);
 * anything else a plain {@link HonuaException} with the server's message. The customer and build of the
 * {@link ErrorScope} are recorded on the exception.
 */
public final class ErrorTranslator {

    private ErrorTranslator() {
    }

    /** What the translator knows about one failure; handed to the {@link SqlState} factories. */
    public record Failure(DataAccessException cause, String state, String constraint, String message, Optional<String> detail,
                          ErrorScope scope) {

        /** The server's message prefixed with the scope's label ("licenses: ..."). */
        public String prefixed() {
            return scope.what() + ": " + message;
        }
    }

    /** Runs one database action of a capability; a {@link DataAccessException} leaves it translated. */
    public static <T> T call(Capability capability, Supplier<T> action) {
        return call(ErrorScope.of(capability), action);
    }

    /** Runs one database action; a {@link DataAccessException} leaves it translated for this scope. */
    public static <T> T call(ErrorScope scope, Supplier<T> action) {
        try {
            return action.get();
        } catch (DataAccessException e) {
            throw translate(e, scope);
        } catch (HonuaException e) {
            // thrown on purpose inside a transaction callback: passes through, with what the scope knows
            throw scoped(e, scope);
        }
    }

    /**
     * {@link #call(ErrorScope, Supplier)} for a statement that may fail without changing anything in a way that heals
     * at once (e.g. a plan invalidated by a concurrent migration): when the first failure passes {@code retryOnce}, the
     * action runs once more, and that attempt's failure is translated whatever it is. The scope about
     * {@code customerId} and {@code buildId} (either {@code null}: not known) is built only on failure, so a hot path
     * pays nothing for it while its statements succeed.
     */
    public static <T> T callRetryingOnce(ErrorScope scope, String customerId, UUID buildId,
                                         Predicate<DataAccessException> retryOnce, Supplier<T> action) {
        try {
            return action.get();
        } catch (DataAccessException e) {
            if (!retryOnce.test(e)) {
                throw translate(e, about(scope, customerId, buildId));
            }
        } catch (HonuaException e) {
            throw scoped(e, about(scope, customerId, buildId));
        }
        return call(about(scope, customerId, buildId), action);
    }

    /**
     * {@link #call(ErrorScope, Supplier)} about {@code customerId} and {@code buildId} (either {@code null}: not
     * known), the scope built only on failure.
     */
    public static <T> T call(ErrorScope scope, String customerId, UUID buildId, Supplier<T> action) {
        return callRetryingOnce(scope, customerId, buildId, NEVER, action);
    }

    private static final Predicate<DataAccessException> NEVER = e -> false;

    private static ErrorScope about(ErrorScope scope, String customerId, UUID buildId) {
        ErrorScope s = customerId == null ? scope : scope.customer(customerId);
        return buildId == null ? s : s.build(buildId);
    }

    /** An exception the library threw on purpose, with the customer and build of the scope recorded (when it has none). */
    public static HonuaException scoped(HonuaException e, ErrorScope scope) {
        scope.customerId().ifPresent(e::initCustomerId);
        scope.buildId().ifPresent(e::initBuildId);
        return e;
    }

    /** Same as {@link #call(Capability, Supplier)} for an action without a result. */
    public static void run(ErrorScope scope, Runnable action) {
        call(scope, () -> {
            action.run();
            return null;
        });
    }

    public static HonuaException translate(DataAccessException e, Capability capability) {
        return translate(e, ErrorScope.of(capability));
    }

    /** The typed exception for a failed database call of this scope. */
    public static HonuaException translate(DataAccessException e, ErrorScope scope) {
        return scoped(typed(e, scope), scope);
    }

    private static HonuaException typed(DataAccessException e, ErrorScope scope) {
        Optional<HonuaException> own = SqlErrors.thrownByHonua(e);
        if (own.isPresent()) {
            return own.get();
        }
        Optional<DatabaseUnavailableException> unavailable = unavailable(e);
        if (unavailable.isPresent()) {
            return unavailable.get();
        }
        String state = e.sqlState() == null ? "" : e.sqlState();
        Failure f = new Failure(e, state, SqlErrors.constraint(e).orElse(""), SqlErrors.serverMessage(e), SqlErrors.detail(e), scope);
        Optional<SqlState> entry = SqlState.of(state);
        if (entry.isPresent() && entry.get().custom()) {
            return entry.get().exception(f);
        }
        Optional<HonuaException> refined = refined(f, entry.orElse(null));
        if (refined.isPresent()) {
            return refined.get();
        }
        return entry.map(s -> s.exception(f)).orElseGet(() -> new HonuaException(f.prefixed(), e));
    }

    /** The standard SQLSTATEs whose meaning depends on the constraint or the capability. */
    private static Optional<HonuaException> refined(Failure f, SqlState state) {
        Capability capability = f.scope().capability();
        String constraint = f.constraint();
        if (capability == Capability.LICENSES
                && (constraint.contains("feature_flags") || state == SqlState.INVALID_TEXT_REPRESENTATION)) {
            return Optional.of(new MalformedFeatureFlagsException("feature flags rejected: " + f.message(), f.cause()));
        }
        if (state == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(switch (state) {
            case FOREIGN_KEY_VIOLATION -> foreignKey(f);
            case UNIQUE_VIOLATION -> switch (capability) {
                case CUSTOMERS -> new CustomerExistsException(f.prefixed(), f.cause());
                case CREDENTIALS -> new ConflictException("a credential with this name already exists: " + f.message(), f.cause());
                case API_KEYS -> new ConflictException("an unrevoked API key with this name exists: " + f.message(), f.cause());
                default -> null;
            };
            case CHECK_VIOLATION -> capability == Capability.QUEUE && constraint.contains("not_self")
                    ? new DependencyCycleException("a build cannot depend on itself", f.cause()) : null;
            // a tenant writing a metric for a build it cannot see: that build does not exist for it
            case INSUFFICIENT_PRIVILEGE -> capability == Capability.METRICS && f.scope().buildId().isPresent()
                    ? new UnknownBuildException("unknown build " + f.scope().buildId().get(), f.cause()) : null;
            default -> null;
        });
    }

    private static HonuaException foreignKey(Failure f) {
        String constraint = f.constraint();
        Capability capability = f.scope().capability();
        if (constraint.contains("customer") || capability == Capability.CUSTOMERS) {
            return new UnknownCustomerException("unknown customer: " + f.prefixed(), f.cause());
        }
        return switch (capability) {
            case INTAKE -> constraint.contains("conversation") ? new UnknownConversationException("unknown conversation: " + f.message(), f.cause())
                    : constraint.contains("manifest") ? new UnknownManifestException("unknown manifest: " + f.message(), f.cause())
                    : new NotFoundException(f.prefixed(), f.cause());
            case QUEUE -> constraint.contains("depend") || constraint.contains("build")
                    ? new UnknownBuildException("unknown build: " + f.message(), f.cause()) : new NotFoundException(f.prefixed(), f.cause());
            case METRICS -> f.scope().buildId().isPresent()
                    ? new UnknownBuildException("unknown build " + f.scope().buildId().get(), f.cause()) : new NotFoundException(f.prefixed(), f.cause());
            default -> new NotFoundException(f.prefixed(), f.cause());
        };
    }

    /**
     * Connection-level failures: the pool gave no connection in time (HikariCP: SQLTransientConnectionException
     * without a server error), a connection could not be opened or broke (SQLSTATE class 08), the server is shutting
     * down or starting (57P01..57P03), or refuses more connections (53300).
     */
    public static Optional<DatabaseUnavailableException> unavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.sql.SQLException s) {
                String state = s.getSQLState() == null ? "" : s.getSQLState();
                if (t instanceof java.sql.SQLTransientConnectionException && !(t instanceof org.postgresql.util.PSQLException)
                        && !SqlState.Category.CONNECTION_EXCEPTION.contains(state)) {
                    return Optional.of(new PoolExhaustedException("connection pool exhausted: " + s.getMessage(), e));
                }
                if (SqlState.isServerUnavailable(state)) {
                    return Optional.of(new DatabaseUnavailableException("database unavailable (" + state + "): " + s.getMessage(), e));
                }
            }
        }
        return Optional.empty();
    }
}
