package io.honua.db.internal;

import io.honua.db.core.HonuaException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Lets an idle worker sleep until a build may have become claimable, instead of polling: LISTEN on channel
 * {@code honua_build_queue}, notified by the database when a customer becomes claimable: its builds are enqueued,
 * requeued or released from their dependencies while it had none claimable, or a running build ends while it waits at
 * its concurrency cap. More builds of a customer that is claimable already send none (NOTIFY takes a server-wide lock
 * through the commit), so a worker that skipped a customer another claimer held may wait up to its poll interval.
 *
 * <p>Holds one dedicated connection (opened from the data source and kept); if it breaks, the next
 * {@link #await} reopens it. {@link #await} always returns by its timeout, so callers keep a fallback poll and lose
 * nothing to a missed notification. One thread may wait at a time.
 */
public final class QueueWakeUp implements AutoCloseable {

    /** The channel the triggers notify. */
    public static final String CHANNEL = "honua_build_queue";

    private final DataSource dataSource;
    private Connection connection;
    private volatile boolean closed;

    public QueueWakeUp(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Waits until notified or until {@code timeout} passes.
     *
     * @return true when a notification arrived (work may be available), false on timeout or after a connection error
     */
    public synchronized boolean await(Duration timeout) {
        if (closed) {
            throw new HonuaException("wake-up listener is closed");
        }
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try {
            PGConnection pg = listening();
            PGNotification[] notes = pg.getNotifications(millis);
            return notes != null && notes.length > 0;
        } catch (SQLException e) {
            closeQuietly();
            sleep(Math.min(millis, 1000));
            return false;
        }
    }

    private PGConnection listening() throws SQLException {
        if (connection == null || connection.isClosed()) {
            Connection c = dataSource.getConnection();
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN honua_build_queue");
            }
            connection = c;
        }
        return connection.unwrap(PGConnection.class);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeQuietly() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken anyway
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            closeQuietly();
        }
    }
}
