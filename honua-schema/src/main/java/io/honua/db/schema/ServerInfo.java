package io.honua.db.schema;

/** What {@link HonuaMigrations#validateConnection()} found at the other end of the connection. */
public record ServerInfo(String version, int versionNumber, String database, String user) {
}
