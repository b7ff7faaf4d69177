/**
 * The typed DAOs: {@link io.honua.db.HonuaDb} and one package per capability. Exports exactly the API packages;
 * {@code io.honua.db.internal} (transactions, argument checks, SQLSTATE translation, envelope encryption, the queue's
 * wake-up listener) is not exported.
 */
module io.honua.db.dao {
    exports io.honua.db;
    exports io.honua.db.analytics;
    exports io.honua.db.apikeys;
    exports io.honua.db.audit;
    exports io.honua.db.cache;
    exports io.honua.db.core;
    exports io.honua.db.credentials;
    exports io.honua.db.crypto;
    exports io.honua.db.intake;
    exports io.honua.db.licensing;
    exports io.honua.db.maintenance;
    exports io.honua.db.metrics;
    exports io.honua.db.observability;
    exports io.honua.db.operations;
    exports io.honua.db.partitions;
    exports io.honua.db.queue;
    exports io.honua.db.tenancy;
    exports io.honua.db.types;

    requires transitive java.sql;
    requires transitive org.jooq;
    requires transitive io.honua.db.schema;
    requires org.postgresql.jdbc;
    requires java.logging;
    requires static com.zaxxer.hikari;   // optional: Operations.health() reads a HikariDataSource's pool state
}
