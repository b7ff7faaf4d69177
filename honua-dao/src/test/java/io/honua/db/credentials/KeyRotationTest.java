package io.honua.db.credentials;

import static io.honua.db.schema.generated.Tables.REGISTRY_CREDENTIALS;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.HonuaDb;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.crypto.RotationReport;
import io.honua.db.licensing.IssuedLicense;
import io.honua.db.licensing.Licenses;
import io.honua.db.licensing.NewLicense;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyRotationTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    static DSLContext sql;

    @BeforeAll
    static void setUp() {
        sql = fx.dsl();
    }

    @BeforeEach
    void noEncryptedRows() {
        // rotation covers the whole database: each test starts without other tests' ciphertexts
        sql.deleteFrom(REGISTRY_CREDENTIALS).execute();
        sql.deleteFrom(io.honua.db.schema.generated.Tables.LICENSES).execute();
    }

    /** A key provider with two fresh key ids: {@code current} encrypts, {@code next} is the rotation target. */
    record Keys(String current, String next, LocalKeyProvider provider) {
        static Keys fresh() {
            String current = "kms-old-" + UUID.randomUUID();
            String next = "kms-new-" + UUID.randomUUID();
            return new Keys(current, next, LocalKeyProvider.generate(current).withGeneratedKey(next));
        }
    }

    /**
     * Every text-like or bytea column of every base table in public that contains {@code needle} (bytea: its bytes):
     * "table.column" -> rows. The append-only audit trail ({@code audit_events}, when the tenancy migration is present)
     * is history, not a reference: it records which key id a row had, and must not be rewritten by a rotation.
     */
    static Map<String, Integer> occurrences(String needle) {
        Map<String, Integer> found = new HashMap<>();
        String hex = java.util.HexFormat.of().formatHex(needle.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        var columns = sql.select(DSL.field("table_name", String.class), DSL.field("column_name", String.class),
                        DSL.field("data_type", String.class))
                .from(DSL.table("information_schema.columns"))
                .where(DSL.field("table_schema").eq("public"))
                .and(DSL.field("table_name").in(DSL.select(DSL.field("table_name")).from(DSL.table("information_schema.tables"))
                        .where(DSL.field("table_schema").eq("public")).and(DSL.field("table_type").eq("BASE TABLE"))))
                .and(DSL.field("data_type").in("text", "character varying", "jsonb", "json", "ARRAY", "bytea"))
                .and(DSL.field("table_name").ne("audit_events"))
                .fetch();
        assertThat(columns).hasSizeGreaterThan(50);
        for (var col : columns) {
            var text = DSL.field(DSL.name(col.value2())).cast(SQLDataType.CLOB);   // bytea::text is \x<hex>
            int n = sql.fetchCount(DSL.selectOne().from(DSL.table(DSL.name(col.value1())))
                    .where("bytea".equals(col.value3()) ? text.contains(hex) : text.contains(needle)));
            if (n > 0) {
                found.put(col.value1() + "." + col.value2(), n);
            }
        }
        return found;
    }

    @Test
    void rotationReencryptsEveryCredentialAndLicenseAndTheOldKeyIdIsGone() {
        Keys keys = Keys.fresh();
        String oldKey = keys.current();
        String newKey = keys.next();
        LocalKeyProvider before = keys.provider();
        HonuaDb beforeRotation = Fixtures.withKeys(fx.honua(), before);
        RegistryCredentials credentials = beforeRotation.registryCredentials();
        Licenses licenses = beforeRotation.licenses();

        Map<UUID, String> secrets = new HashMap<>();
        Map<UUID, String> owners = new HashMap<>();
        List<IssuedLicense> issued = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            String customer = Fixtures.newCustomer(fx.honua());
            issued.add(licenses.issue(NewLicense.builder(customer, Tier.ENTERPRISE).maxRegistries(100).build()));
            for (int i = 0; i < 9; i++) {
                String secret = "secret-" + c + "-" + i + "-" + UUID.randomUUID();
                Credential cr = credentials.store(new NewCredential(customer, RegistryType.values()[i % 6], "reg-" + i,
                        "https://r" + i + ".example.com", "user" + i, secret));
                secrets.put(cr.id(), secret);
                owners.put(cr.id(), customer);
            }
            // revoked credentials are rotated too
            credentials.revoke(customer, credentials.list(customer).getFirst().id());
        }
        assertThat(occurrences(oldKey)).containsOnlyKeys("licenses.encryption_key_id", "registry_credentials.encryption_key_id");
        assertThat(credentials.keyUsage()).isEqualTo(Map.of("licenses", Map.of(oldKey, 3L), "registry_credentials", Map.of(oldKey, 27L)));

        RotationReport credReport = credentials.rotate(newKey, 4);
        RotationReport licReport = licenses.rotate(newKey, 2);
        assertThat(credReport.reencrypted()).isEqualTo(27);
        assertThat(credReport.chunks()).isEqualTo(7);
        assertThat(credReport.complete()).isTrue();
        assertThat(licReport.reencrypted()).isEqualTo(3);
        assertThat(licReport.chunks()).isEqualTo(2);

        // the old key id is referenced nowhere in the database
        assertThat(occurrences(oldKey)).isEmpty();
        assertThat(credentials.keyUsage()).isEqualTo(Map.of("licenses", Map.of(newKey, 3L), "registry_credentials", Map.of(newKey, 27L)));

        // and the old master key is no longer needed: everything decrypts with a provider that lacks it
        LocalKeyProvider after = before.withCurrent(newKey).without(oldKey);
        HonuaDb afterRotation = Fixtures.withKeys(fx.honua(), after);
        RegistryCredentials rotated = afterRotation.registryCredentials();
        for (var e : secrets.entrySet()) {
            String owner = owners.get(e.getKey());
            boolean active = rotated.find(owner, e.getKey()).orElseThrow().active();
            if (active) {
                assertThat(rotated.reveal(owner, e.getKey()).secret()).isEqualTo(e.getValue());
            } else {
                assertThat(sql.fetchValue(REGISTRY_CREDENTIALS.ENCRYPTION_KEY_ID, REGISTRY_CREDENTIALS.ID.eq(e.getKey())))
                        .isEqualTo(newKey);
            }
        }
        Licenses rotatedLicenses = afterRotation.licenses();
        for (IssuedLicense l : issued) {
            assertThat(rotatedLicenses.revealKey(l.license().customerId(), l.license().id())).isEqualTo(l.key());
            assertThat(rotatedLicenses.verify(l.key()).valid()).isTrue();
        }
        // rotating again is a no-op
        assertThat(rotated.rotate(newKey).reencrypted()).isZero();
    }

    @Test
    void undecryptableRowsAreReportedAndLeftUnchanged() {
        Keys keys = Keys.fresh();
        RegistryCredentials credentials = Fixtures.withKeys(fx.honua(), keys.provider()).registryCredentials();
        String customer = Fixtures.newCustomer(fx.honua());
        Credential good = credentials.store(new NewCredential(customer, RegistryType.QUAY, "good", "https://quay.io", "u", "g"));
        Credential bad = credentials.store(new NewCredential(customer, RegistryType.QUAY, "bad", "https://quay.io", "u", "b"));
        byte[] c = sql.fetchValue(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, REGISTRY_CREDENTIALS.ID.eq(bad.id()));
        c[c.length - 1] ^= 1;
        sql.update(REGISTRY_CREDENTIALS).set(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, c).where(REGISTRY_CREDENTIALS.ID.eq(bad.id())).execute();

        RotationReport report = credentials.rotate(keys.next());
        assertThat(report.failed()).containsExactly(bad.id());
        assertThat(report.complete()).isFalse();
        assertThat(credentials.find(customer, bad.id()).orElseThrow().encryptionKeyId()).isEqualTo(keys.current());
        assertThat(sql.fetchValue(REGISTRY_CREDENTIALS.ENCRYPTED_SECRET, REGISTRY_CREDENTIALS.ID.eq(bad.id()))).isEqualTo(c);
        assertThat(credentials.find(customer, good.id()).orElseThrow().encryptionKeyId()).isEqualTo(keys.next());
        assertThat(credentials.reveal(customer, good.id()).secret()).isEqualTo("g");
    }
}
