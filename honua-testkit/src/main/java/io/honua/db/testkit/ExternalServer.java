package io.honua.db.testkit;

import java.util.LinkedHashMap;
import java.util.Map;

/** A server the user already runs, reached through {@code HONUA_DB_URL}. Never stopped, only cleaned. */
final class ExternalServer extends AbstractServer {

    private final String prefix;
    private final String database;
    private final String query;
    private final String user;
    private final String password;

    /**
     * @param url {@code jdbc:postgresql://host[:port]/database[?user=..&password=..]}; user and password may also
     *            come from {@code HONUA_DB_USER} / {@code HONUA_DB_PASSWORD}, the user defaults to {@code postgres}.
     */
    ExternalServer(String url, Map<String, String> env) {
        if (url == null || !url.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("HONUA_DB_URL must look like jdbc:postgresql://host:5432/postgres?user=postgres, got: " + url);
        }
        String rest = url.substring("jdbc:postgresql://".length());
        int q = rest.indexOf('?');
        String hostAndDb = q < 0 ? rest : rest.substring(0, q);
        Map<String, String> params = new LinkedHashMap<>();
        if (q >= 0) {
            for (String kv : rest.substring(q + 1).split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    params.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        }
        int slash = hostAndDb.indexOf('/');
        this.prefix = "jdbc:postgresql://" + (slash < 0 ? hostAndDb : hostAndDb.substring(0, slash)) + "/";
        this.database = slash < 0 || slash == hostAndDb.length() - 1 ? "postgres" : hostAndDb.substring(slash + 1);
        this.user = params.getOrDefault("user", env.getOrDefault("HONUA_DB_USER", "postgres"));
        this.password = params.getOrDefault("password", env.getOrDefault("HONUA_DB_PASSWORD", ""));
        params.remove("user");
        params.remove("password");
        StringBuilder sb = new StringBuilder();
        params.forEach((k, v) -> sb.append(sb.isEmpty() ? "?" : "&").append(k).append('=').append(v));
        this.query = sb.toString();
    }

    @Override
    public PostgresProvisioning.Source source() {
        return PostgresProvisioning.Source.EXTERNAL;
    }

    @Override
    public String jdbcUrl(String db) {
        return prefix + db + query;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    String adminDatabase() {
        return database;
    }

    @Override
    void stopServer() {
        // not ours to stop
    }
}
