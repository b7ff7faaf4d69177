package io.honua.db.internal;

import io.honua.db.core.HonuaException;
import java.sql.SQLException;
import java.util.Optional;
import org.jooq.exception.DataAccessException;

/** Reads the SQLSTATE, constraint name, message and detail out of a jOOQ exception, for {@link ErrorTranslator}. */
public final class SqlErrors {

    private SqlErrors() {
    }

    public static String sqlState(DataAccessException e) {
        return e.sqlState();
    }

    /** Name of the violated constraint, when PostgreSQL reported one. */
    public static Optional<String> constraint(DataAccessException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
                return Optional.ofNullable(p.getServerErrorMessage().getConstraint());
            }
        }
        return Optional.empty();
    }

    /** The server's own message, without the SQL text jOOQ prepends. */
    public static String serverMessage(DataAccessException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getMessage() != null) {
                String m = s.getMessage();
                int nl = m.indexOf('\n');
                return (nl > 0 ? m.substring(0, nl) : m).replaceFirst("^ERROR: ", "");
            }
        }
        return e.getMessage();
    }

    /**
     * The {@link HonuaException} a DAO threw on purpose inside a jOOQ callback (a transaction, a connection block),
     * which jOOQ hands back unwrapped or wrapped in a {@link DataAccessException}; empty when the database failed.
     * Every DAO's error mapping asks this first, so its own typed exceptions pass through unchanged.
     */
    public static Optional<HonuaException> thrownByHonua(DataAccessException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HonuaException h) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /** The server's DETAIL field, when PostgreSQL reported one. */
    public static Optional<String> detail(DataAccessException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
                return Optional.ofNullable(p.getServerErrorMessage().getDetail());
            }
        }
        return Optional.empty();
    }
}
