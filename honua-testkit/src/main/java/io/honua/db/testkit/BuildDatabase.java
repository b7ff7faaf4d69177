package io.honua.db.testkit;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Properties;

/**
 * Build-time entry point (run by {@code exec-maven-plugin} in the {@code honua-schema} build).
 *
 * <pre>
 *   start STATE_FILE LOCATION...   provision a server, create a unique database, migrate it, write its coordinates
 *   stop  STATE_FILE               drop the database and stop the server
 * </pre>
 *
 * The state file holds {@code url}, {@code user}, {@code password} (read by jooq-codegen-maven) and what {@code stop}
 * needs. {@code start} also registers a shutdown hook, so the database is removed even when a later build step fails.
 */
public final class BuildDatabase {

    private BuildDatabase() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: start STATE_FILE LOCATION... | stop STATE_FILE");
        }
        Path state = Path.of(args[1]);
        switch (args[0]) {
            case "start" -> start(state, Arrays.copyOfRange(args, 2, args.length));
            case "stop" -> stop(state);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    private static void start(Path stateFile, String[] locations) {
        PostgresServer server = PostgresProvisioning.start();
        // Safety net for a failing build: 'stop' deletes the state file after cleaning up, so the hook only acts when
        // a later build step failed before 'stop' ran.
        Path absolute = stateFile.toAbsolutePath();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (Files.exists(absolute)) {
                try {
                    server.close();
                } catch (Throwable t) {
                    System.err.println("[honua] could not remove the code generation database: " + t);
                }
            }
        }, "honua-build-db-cleanup"));
        String db = TestDatabase.uniqueName("codegen");
        server.createDatabase(db, Optional.empty());
        int applied = Migrate.apply(server.jdbcUrl(db), server.user(), server.password(), locations);
        Properties p = new Properties();
        if (server instanceof EmbeddedServer embedded) {
            p.putAll(embedded.detachState());
        }
        p.setProperty("source", server.source().name());
        p.setProperty("database", db);
        p.setProperty("admin.url", server.jdbcUrl(((AbstractServer) server).adminDatabase()));
        p.setProperty("user", server.user());
        p.setProperty("password", server.password());
        // read by properties-maven-plugin and used in the jooq-codegen-maven configuration
        p.setProperty("honua.codegen.url", server.jdbcUrl(db));
        p.setProperty("honua.codegen.user", server.user());
        p.setProperty("honua.codegen.password", server.password());
        try {
            Files.createDirectories(stateFile.toAbsolutePath().getParent());
            try (Writer w = Files.newBufferedWriter(stateFile)) {
                p.store(w, "Honua code generation database (" + server.source() + ")");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("[honua] code generation database " + db + " on " + server.source() + " PostgreSQL, " + applied + " migrations applied");
    }

    private static void stop(Path stateFile) {
        if (!Files.exists(stateFile)) {
            return;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(stateFile)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        switch (PostgresProvisioning.Source.valueOf(p.getProperty("source"))) {
            case EMBEDDED -> EmbeddedServer.stopDetached(p);
            case EXTERNAL -> {
                java.util.Map<String, String> env = new java.util.HashMap<>(PostgresProvisioning.environment());
                env.put("HONUA_DB_USER", p.getProperty("user"));
                env.put("HONUA_DB_PASSWORD", p.getProperty("password"));
                ExternalServer server = new ExternalServer(p.getProperty("admin.url"), env);
                server.dropDatabase(p.getProperty("database"));
            }
            case DOCKER -> {
                // the container belongs to the JVM that started it; its shutdown hook and Ryuk remove it
            }
        }
        try {
            Files.deleteIfExists(stateFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println("[honua] code generation database " + p.getProperty("database") + " removed");
    }
}
