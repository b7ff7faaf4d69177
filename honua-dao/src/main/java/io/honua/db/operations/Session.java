package io.honua.db.operations;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A client session with an open transaction ({@link Operations#sessions(Duration)}).
 *
 * @param state          {@code active}, {@code idle in transaction}, {@code idle in transaction (aborted)}, ...
 * @param transactionAge how long its transaction has been open
 * @param stateAge       how long it has been in its current state (for an idle-in-transaction session: idle since)
 * @param xminAge        age in transactions of the snapshot it holds (what VACUUM must keep), when it holds one
 * @param query          the running or last statement (first 2,000 characters)
 */
public record Session(int pid, Optional<String> database, Optional<String> role, Optional<String> applicationName,
                      Optional<String> clientAddress, String state, Optional<Instant> backendStart,
                      Instant transactionStart, Optional<Instant> queryStart,
                      Optional<Instant> stateChange, Duration transactionAge, Duration stateAge,
                      Optional<String> waitEventType, Optional<String> waitEvent, Optional<Long> xminAge, String query) {

    public boolean idleInTransaction() {
        return state.startsWith("idle in transaction");
    }

    public boolean active() {
        return state.equals("active");
    }
}
