/**
 * The Honua DB test kit: a throwaway PostgreSQL ({@link io.honua.db.testkit.PostgresProvisioning}: {@code HONUA_DB_URL},
 * a Testcontainers container, or the embedded binaries) for code generation and tests, and the JUnit 5 extension
 * {@link io.honua.db.testkit.HonuaDatabase}. Exports only {@code io.honua.db.testkit}; the servers are not API.
 *
 * <p>The embedded PostgreSQL binaries ({@code postgres-linux-x86_64.txz}) are a resource at the root of their jar, not in
 * a package, so no module encapsulates them. Docker goes through the core Testcontainers jar only: its PostgreSQL
 * module would split a package over several jars, which the module system rejects.
 */
module io.honua.db.testkit {
    exports io.honua.db.testkit;

    requires transitive java.sql;                 // TestDatabase: Connection, DataSource
    requires transitive org.junit.jupiter.api;    // HonuaDatabase is a JUnit 5 extension
    requires org.postgresql.jdbc;
    requires java.naming;                         // PGSimpleDataSource is a javax.naming.Referenceable
    requires flyway.core;                         // automatic module (name derived from the jar's file name)
    requires testcontainers;                      // automatic module (name derived from the jar's file name)
    requires org.apache.commons.compress;
    requires org.tukaani.xz;                      // commons-compress needs it for .txz but requires it only statically
}
