package io.honua.db.queue;

import io.honua.db.core.HonuaException;

/**
 * The database could not be reached: connection refused or lost, server shutting down or restarting, too many
 * connections. Transient: retrying later (with backoff) is the right reaction, and nothing was changed by the failed
 * call unless it was a commit whose outcome is unknown (every queue operation is safe to repeat: a claim that did
 * commit is recovered by lease expiry, a completion that did commit is reported as not held on repetition).
 */
public class DatabaseUnavailableException extends HonuaException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
