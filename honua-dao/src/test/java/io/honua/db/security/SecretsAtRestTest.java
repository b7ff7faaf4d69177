package io.honua.db.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.HonuaDb;
import io.honua.db.apikeys.CreatedApiKey;
import io.honua.db.apikeys.NewApiKey;
import io.honua.db.credentials.NewCredential;
import io.honua.db.credentials.RegistryType;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.internal.Secrets;
import io.honua.db.licensing.IssuedLicense;
import io.honua.db.licensing.NewLicense;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A pg_dump of the database holds no plaintext license key, credential secret or API key. */
class SecretsAtRestTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    /** pg_dump binaries: /usr/lib/postgresql/N/bin newest first, then PATH. */
    static List<String> pgDumps() {
        List<String> found = new ArrayList<>();
        File base = new File("/usr/lib/postgresql");
        File[] versions = base.listFiles();
        if (versions != null) {
            Stream.of(versions).sorted(Comparator.comparing((File f) -> {
                try {
                    return Double.parseDouble(f.getName());
                } catch (NumberFormatException e) {
                    return 0.0;
                }
            }).reversed()).map(v -> new File(v, "bin/pg_dump")).filter(File::canExecute).forEach(f -> found.add(f.getPath()));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, "pg_dump");
            if (f.canExecute()) {
                found.add(f.getPath());
            }
        }
        return found;
    }

    static String dump() throws Exception {
        URI uri = URI.create(fx.db().jdbcUrl().substring("jdbc:".length()));
        String dbName = uri.getPath().substring(1);
        List<String> errors = new ArrayList<>();
        for (String pgDump : pgDumps()) {
            Path out = Files.createTempFile("honua-dump", ".sql");
            try {
                ProcessBuilder pb = new ProcessBuilder(pgDump, "--no-owner", "--format=plain", "--file=" + out,
                        "--host=" + uri.getHost(), "--port=" + (uri.getPort() < 0 ? 5432 : uri.getPort()),
                        "--username=" + fx.db().user(), dbName);
                if (fx.db().password() != null) {
                    pb.environment().put("PGPASSWORD", fx.db().password());
                }
                pb.redirectErrorStream(true);
                Process p = pb.start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return Files.readString(out, StandardCharsets.UTF_8);
                }
                errors.add(pgDump + ": " + log);
            } finally {
                Files.deleteIfExists(out);
            }
        }
        // No pg_dump here can dump this server (e.g. the embedded PostgreSQL 18 with only a pg_dump 15 installed):
        // do what pg_dump's data section does, COPY of every table, so the assertion still runs.
        System.err.println("SecretsAtRestTest: no compatible pg_dump (" + errors + "), using COPY of every table");
        return copyAllTables();
    }

    static String copyAllTables() throws Exception {
        StringBuilder out = new StringBuilder();
        try (var c = java.sql.DriverManager.getConnection(fx.db().jdbcUrl(), fx.db().user(), fx.db().password())) {
            var copy = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
            List<String> tables = org.jooq.impl.DSL.using(c).fetchValues(org.jooq.impl.DSL.select(org.jooq.impl.DSL.field("tablename", String.class))
                    .from(org.jooq.impl.DSL.table("pg_catalog.pg_tables")).where(org.jooq.impl.DSL.field("schemaname").eq("public")));
            assertThat(tables).contains("licenses", "registry_credentials", "api_keys");
            for (String t : tables) {
                var w = new java.io.StringWriter();
                // the query form also works for partitioned tables (COPY of a partitioned table itself is refused)
                copy.copyOut("COPY (SELECT * FROM " + org.jooq.impl.DSL.using(org.jooq.SQLDialect.POSTGRES).render(org.jooq.impl.DSL.name(t))
                        + ") TO STDOUT", w);
                out.append("-- ").append(t).append('\n').append(w);
            }
        }
        return out.toString();
    }

    @Test
    void dumpContainsNoPlaintextSecret() throws Exception {
        HonuaDb keyed = Fixtures.withKeys(fx.honua(), LocalKeyProvider.generate("dump-key"));
        List<String> secrets = new ArrayList<>();
        List<String> mustAppear = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String c = Fixtures.newCustomer(fx.honua());
            IssuedLicense license = keyed.licenses().issue(NewLicense.builder(c, Tier.ENTERPRISE).maxRegistries(5).build());
            String registrySecret = "registry-password-" + UUID.randomUUID();
            keyed.registryCredentials().store(new NewCredential(c, RegistryType.ACR, "acr", "https://x.azurecr.io", "sp-user",
                    registrySecret));
            CreatedApiKey apiKey = fx.honua().apiKeys().create(new NewApiKey(c, "worker", Set.of("builds:claim")));
            secrets.add(license.key());
            secrets.add(registrySecret);
            secrets.add(apiKey.key());
            // the dump does hold the data: hashes, customer ids, user names
            mustAppear.add(c);
            mustAppear.add(Secrets.sha256Hex(license.key()));
            mustAppear.add(Secrets.sha256Hex(apiKey.key()));
        }
        String dump = dump();
        assertThat(dump).contains(mustAppear).contains("sp-user").contains("dump-key");
        for (String secret : secrets) {
            assertThat(dump).as("plaintext secret in dump").doesNotContain(secret);
            // nor the secret part alone (without its prefix)
            assertThat(dump).doesNotContain(secret.substring(secret.length() - 24));
        }
    }
}
