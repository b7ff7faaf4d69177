package io.honua.db.core;

import java.time.Duration;

/**
 * Time limits every database session opened through a {@code HonuaDb} runs with: {@code lock_timeout},
 * {@code statement_timeout} and {@code idle_in_transaction_session_timeout}. They bound how long a statement of the
 * library waits behind a lock someone else holds, how long one statement may run, and how long a transaction of the
 * library may stay open and idle while holding its locks. {@link Duration#ZERO} turns one limit off (the server's or
 * the role's own value then applies).
 *
 * <p>Guarantee: the values are set with {@code set_config(name, value, false)} on each physical connection the first
 * time the library takes it from the pool, before any statement of the library runs on it; a connection whose
 * session settings cannot be set is not used (the error is thrown). They are session settings, so code that runs
 * {@code RESET ALL} / {@code DISCARD ALL} on a pooled connection removes them until the library sees a new physical
 * connection. They limit the library's own sessions only: sessions other clients open (psql, another service) need
 * the server-side settings README's security section lists ({@code ALTER ROLE <login role> SET ...}).
 *
 * <p>Invalid values (null, negative, above {@code Integer.MAX_VALUE} ms) throw {@link InvalidRequestException}.
 *
 * @param lockTimeout              longest wait for a lock per statement (default 10 s)
 * @param statementTimeout         longest run of one statement (default 5 min)
 * @param idleInTransactionTimeout longest idle time inside an open transaction before the server ends the session
 *                                 (default 60 s)
 */
public record SessionLimits(Duration lockTimeout, Duration statementTimeout, Duration idleInTransactionTimeout) {

    /** Default lock wait: 10 s. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(10);
    /** Default statement run time: 5 min (partition upkeep and purges of large tables stay within it). */
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofMinutes(5);
    /** Default idle time in an open transaction: 60 s. */
    public static final Duration DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT = Duration.ofSeconds(60);

    /** The defaults above. */
    public static final SessionLimits DEFAULTS =
            new SessionLimits(DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT);

    /** No limit set by the library (the server's and the role's settings apply). */
    public static final SessionLimits NONE = new SessionLimits(Duration.ZERO, Duration.ZERO, Duration.ZERO);

    public SessionLimits {
        check(lockTimeout, "lockTimeout");
        check(statementTimeout, "statementTimeout");
        check(idleInTransactionTimeout, "idleInTransactionTimeout");
    }

    public SessionLimits withLockTimeout(Duration d) {
        return new SessionLimits(d, statementTimeout, idleInTransactionTimeout);
    }

    public SessionLimits withStatementTimeout(Duration d) {
        return new SessionLimits(lockTimeout, d, idleInTransactionTimeout);
    }

    public SessionLimits withIdleInTransactionTimeout(Duration d) {
        return new SessionLimits(lockTimeout, statementTimeout, d);
    }

    private static void check(Duration d, String name) {
        if (d == null) {
            throw new InvalidRequestException(name + " must not be null");
        }
        if (d.isNegative()) {
            throw new InvalidRequestException(name + " must not be negative, got " + d);
        }
        if (d.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
            throw new InvalidRequestException(name + " must be at most " + Integer.MAX_VALUE + " ms, got " + d);
        }
    }
}
