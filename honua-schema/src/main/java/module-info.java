/**
 * The Honua DB schema: Flyway migrations ({@link io.honua.db.schema.HonuaMigrations}) and the jOOQ classes generated
 * from it. The generated packages are exported only to this project's own modules (the DAOs and the meters); a service
 * uses the typed DAOs, not the tables.
 */
module io.honua.db.schema {
    exports io.honua.db.schema;
    exports io.honua.db.schema.generated to io.honua.db.dao, io.honua.db.micrometer;
    exports io.honua.db.schema.generated.tables to io.honua.db.dao, io.honua.db.micrometer;
    exports io.honua.db.schema.generated.tables.records to io.honua.db.dao, io.honua.db.micrometer;
    exports io.honua.db.schema.generated.routines to io.honua.db.dao;
    // jOOQ instantiates generated records and routines reflectively
    opens io.honua.db.schema.generated to org.jooq;
    opens io.honua.db.schema.generated.tables to org.jooq;
    opens io.honua.db.schema.generated.tables.records to org.jooq;
    opens io.honua.db.schema.generated.routines to org.jooq;

    requires transitive java.sql;
    requires transitive org.jooq;
    requires flyway.core;   // automatic module (name derived from the jar's file name)
    requires java.logging;
}
