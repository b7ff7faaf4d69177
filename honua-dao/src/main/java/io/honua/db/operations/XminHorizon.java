package io.honua.db.operations;

import java.util.Optional;

/**
 * What holds back VACUUM's xmin horizon ({@link Operations#xminHorizon()}): ages in transactions (how many transaction
 * ids ago). Backend xmins are visible to every role (unlike the sessions' queries).
 *
 * @param oldestSessionXminAge     the oldest snapshot held by another session, and {@code oldestSessionPid} its pid
 * @param oldestPreparedXactAge    the oldest prepared (two-phase) transaction
 * @param oldestReplicationSlotAge the oldest xmin or catalog xmin held by a replication slot
 * @param databaseFrozenXidAge     age of the database's {@code datfrozenxid}: distance travelled towards wraparound
 */
public record XminHorizon(Optional<Long> oldestSessionXminAge, Optional<Integer> oldestSessionPid,
                          Optional<Long> oldestPreparedXactAge, Optional<Long> oldestReplicationSlotAge,
                          long databaseFrozenXidAge) {

    /** The largest of the three holders' ages, when any holds one. */
    public Optional<Long> oldest() {
        return java.util.stream.Stream.of(oldestSessionXminAge, oldestPreparedXactAge, oldestReplicationSlotAge)
                .flatMap(Optional::stream).max(Long::compare);
    }
}
