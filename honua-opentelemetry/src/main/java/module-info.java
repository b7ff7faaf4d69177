/**
 * OpenTelemetry tracing for Honua DB ({@link io.honua.db.opentelemetry.HonuaTracing}): the enqueuing request's W3C
 * trace context stored with each build, and the worker's handler, claim, complete and fail spans linked to it.
 */
module io.honua.db.opentelemetry {
    exports io.honua.db.opentelemetry;

    requires transitive io.honua.db.dao;
    requires transitive io.opentelemetry.api;
    requires transitive io.opentelemetry.context;
}
