package io.honua.db.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/** PostgreSQL in a Testcontainers container ({@code HONUA_PG_IMAGE}, default {@code postgres:18-alpine}). */
final class DockerServer extends AbstractServer {

    static final String DEFAULT_IMAGE = "postgres:18-alpine";

    private final PostgreSQLContainer container;

    private DockerServer(PostgreSQLContainer container) {
        this.container = container;
    }

    /**
     * Cheap checks first (no DOCKER_HOST, no socket, no Testcontainers config means no engine), then asks
     * Testcontainers, which knows every other way an engine can be reached.
     */
    static boolean available(Map<String, String> env) {
        String home = System.getProperty("user.home", "");
        boolean hint = notBlank(env.get("DOCKER_HOST"))
                || Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of(home, ".docker/run/docker.sock"))
                || Files.exists(Path.of(home, ".testcontainers.properties"))
                || notBlank(env.get("TESTCONTAINERS_HOST_OVERRIDE"));
        if (!hint) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    static DockerServer start(Map<String, String> env) {
        String image = env.getOrDefault("HONUA_PG_IMAGE", DEFAULT_IMAGE);
        PostgreSQLContainer c = new PostgreSQLContainer(image)
                .withDatabaseName("postgres")
                .withUsername("postgres")
                .withPassword("postgres")
                .withCommand("postgres", "-c", "fsync=off", "-c", "max_connections=300");
        c.start();
        return new DockerServer(c);
    }

    @Override
    public PostgresProvisioning.Source source() {
        return PostgresProvisioning.Source.DOCKER;
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(5432) + "/" + database;
    }

    @Override
    public String user() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    String adminDatabase() {
        return "postgres";
    }

    @Override
    void stopServer() {
        container.stop();
    }
}
