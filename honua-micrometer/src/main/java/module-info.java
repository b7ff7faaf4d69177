/** Micrometer meters for Honua DB ({@link io.honua.db.micrometer.HonuaMeters}, {@link io.honua.db.micrometer.QueueTimings}). */
module io.honua.db.micrometer {
    exports io.honua.db.micrometer;

    requires transitive io.honua.db.dao;
    requires transitive micrometer.core;
}
