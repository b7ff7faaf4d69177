package io.honua.db.testkit;

import java.util.Optional;

/**
 * A running PostgreSQL server on which throwaway databases can be created and dropped.
 *
 * <p>Guarantees: every database created through {@link #createDatabase} is dropped by {@link #close()} (and by a
 * JVM shutdown hook when the server came from {@link PostgresProvisioning#shared()}), also when the build or the
 * test run fails. Closing a server that this library started (Docker, embedded) also stops it; closing a server
 * reached through {@code HONUA_DB_URL} only drops the databases it created.
 */
public interface PostgresServer extends AutoCloseable {

    /** Where this server came from. */
    PostgresProvisioning.Source source();

    /** JDBC URL of {@code database} on this server (no credentials in it; see {@link #user()}). */
    String jdbcUrl(String database);

    /** Login role with the right to create databases. */
    String user();

    /** Password of {@link #user()}, empty for trust authentication. */
    String password();

    /**
     * Creates {@code name}, optionally as a copy of {@code template}. Names are restricted to
     * {@code [a-z0-9_]{1,63}} so that they never need quoting.
     */
    void createDatabase(String name, Optional<String> template);

    /** Drops {@code name} if it exists, terminating its open connections first. */
    void dropDatabase(String name);

    /**
     * Restarts the server in place (same port, same data; open connections are terminated, as in a real fail-over or
     * upgrade restart) and returns when it accepts connections again. Only servers this library started itself can do
     * this (embedded); a server reached through {@code HONUA_DB_URL} is never restarted.
     *
     * @throws UnsupportedOperationException for servers this library does not own
     */
    default void restart() {
        throw new UnsupportedOperationException(source() + " servers cannot be restarted by the test kit");
    }

    /** Drops every database this object created and stops the server if this library started it. Idempotent. */
    @Override
    void close();
}
