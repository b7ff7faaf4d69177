/**
 * Spring Boot auto-configuration for Honua DB. The package is opened (deep reflection) for Spring, which proxies, instantiates and binds the
 * configuration classes reflectively.
 */
module io.honua.db.spring {
    exports io.honua.db.spring;
    opens io.honua.db.spring;

    requires transitive io.honua.db.dao;
    requires transitive io.honua.db.schema;
    requires transitive spring.boot;
    requires transitive spring.boot.autoconfigure;
    requires transitive spring.context;
    requires transitive spring.beans;
    requires spring.core;
    requires org.apache.commons.logging;
    // optional: health indicator (actuator) and meters (Micrometer)
    requires static spring.boot.health;
    requires static io.honua.db.micrometer;
    requires static micrometer.core;
}
