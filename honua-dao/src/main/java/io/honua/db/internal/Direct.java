package io.honua.db.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.jooq.ConnectionProvider;
import org.jooq.DSLContext;
import org.jooq.conf.Settings;
import org.jooq.exception.DataAccessException;

/**
 * Runs a statement text rendered once from jOOQ's typed DSL as a plain JDBC {@link PreparedStatement} on a connection
 * of the context's {@link ConnectionProvider}: the data source's pool, or the caller's transaction connection when the
 * context is bound to one. Used by the hot paths (cache lookup, analytics, message append, build metrics) where jOOQ's
 * per-statement execution machinery (execute context, bind context, record materialisation and conversion) costs a
 * measurable share of a sub-millisecond statement.
 *
 * <p>Guarantees: the same statement text, connection, transaction and SQLSTATE as jOOQ's own execution; a
 * {@link SQLException} surfaces as a jOOQ {@link DataAccessException} with the {@code SQLException} as its cause (so
 * {@link SqlErrors} and the DAOs' translation read it as before). {@link #applies} is false when the context has an
 * {@link org.jooq.ExecuteListener} (the slow-query listener, meters) or settings that change execution (query timeout,
 * max rows, fetch size): callers then use jOOQ's execution so that every listener sees every statement.
 */
public final class Direct {

    private Direct() {
    }

    /** Sets the bind values of a prepared statement. */
    @FunctionalInterface
    public interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    /** Reads the result set (positioned before its first row) into the caller's value. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** True when statements of this context may run through {@link #query}: no listeners, no execution settings. */
    public static boolean applies(DSLContext dsl) {
        if (dsl.configuration().executeListenerProviders().length != 0) {
            return false;
        }
        Settings s = dsl.settings();
        return zero(s.getQueryTimeout()) && zero(s.getMaxRows()) && zero(s.getFetchSize());
    }

    /** A {@code timestamptz} column of the current row as an {@link Instant}; {@code null} for SQL NULL. */
    public static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static boolean zero(Integer setting) {
        return setting == null || setting == 0;
    }

    /**
     * Prepares {@code sql} on a connection of {@code dsl}, binds it, executes it as a query and reads its result.
     *
     * @throws DataAccessException the statement failed (cause: the driver's {@link SQLException})
     */
    public static <T> T query(DSLContext dsl, String sql, Binder binder, Reader<T> reader) {
        ConnectionProvider provider = dsl.configuration().connectionProvider();
        Connection connection = provider.acquire();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                return reader.read(rs);
            }
        } catch (SQLException e) {
            throw new DataAccessException("SQL [" + sql + "]; " + e.getMessage(), e);
        } finally {
            provider.release(connection);
        }
    }
}
