package io.honua.db.queue;

/**
 * No connection became free in the connection pool within its timeout: the service has more concurrent database
 * work than connections. Nothing was sent to the database. {@link BuildWorker} backs off exponentially on it.
 */
public class PoolExhaustedException extends DatabaseUnavailableException {
    public PoolExhaustedException(String message, Throwable cause) {
        super(message, cause);
    }
}
