package io.honua.db.internal;

import io.honua.db.core.ConflictException;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.NotFoundException;
import java.sql.SQLException;
import java.util.Optional;
import org.jooq.exception.DataAccessException;

/** Reads the SQLSTATE and constraint name out of a jOOQ exception; used by the DAOs to pick a typed exception. */
public final class SqlErrors {

    public static final String FOREIGN_KEY_VIOLATION = "23503";
    public static final String UNIQUE_VIOLATION = "23505";
    public static final String CHECK_VIOLATION = "23514";
    public static final String NOT_NULL_VIOLATION = "23502";
    public static final String INVALID_PARAMETER = "22023";
    public static final String INVALID_JSON = "22P02";
    public static final String STRING_TOO_LONG = "22001";

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

    /** Generic mapping for errors a DAO did not anticipate more precisely. */
    public static HonuaException translate(DataAccessException e, String what) {
        String state = e.sqlState();
        String message = what + ": " + serverMessage(e);
        return switch (state == null ? "" : state) {
            case FOREIGN_KEY_VIOLATION -> new NotFoundException(message, e);
            case UNIQUE_VIOLATION -> new ConflictException(message, e);
            case CHECK_VIOLATION, NOT_NULL_VIOLATION, INVALID_PARAMETER, INVALID_JSON, STRING_TOO_LONG, "22P05", "22007", "22008" ->
                    new InvalidRequestException(message, e);
            default -> new HonuaException(message, e);
        };
    }
}
