package io.honua.db.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * PostgreSQL in a Testcontainers container ({@code HONUA_PG_IMAGE}, default {@code postgres:18-alpine}). A plain
 * {@link GenericContainer} from the core Testcontainers jar: testcontainers-postgresql (and testcontainers-jdbc) would
 * split the package {@code org.testcontainers.containers} over several jars, which the module system rejects.
 */
final class DockerServer extends AbstractServer {

    static final String DEFAULT_IMAGE = "postgres:18-alpine";
    static final int PORT = 5432;
    static final String USER = "postgres";
    static final String PASSWORD = "postgres";
    /** Pulling the image is not part of it; initdb and the restart after it are (slow CI runners included). */
    static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);

    private final GenericContainer<?> container;

    private DockerServer(GenericContainer<?> container) {
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
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withEnv("POSTGRES_USER", USER)
                .withEnv("POSTGRES_PASSWORD", PASSWORD)
                .withEnv("POSTGRES_DB", "postgres")
                .withCommand("postgres", "-c", "fsync=off", "-c", "max_connections=300")
                .withExposedPorts(PORT)
                // the official image starts a temporary server for initdb, stops it and starts the real one: the
                // second "ready" line is the one that counts
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2)
                        .withStartupTimeout(STARTUP_TIMEOUT));
        try {
            c.start();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return new DockerServer(c);
    }

    @Override
    public PostgresProvisioning.Source source() {
        return PostgresProvisioning.Source.DOCKER;
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + container.getHost() + ":" + container.getMappedPort(PORT) + "/" + database;
    }

    @Override
    public String user() {
        return USER;
    }

    @Override
    public String password() {
        return PASSWORD;
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
