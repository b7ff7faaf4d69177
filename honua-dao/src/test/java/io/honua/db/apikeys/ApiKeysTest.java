package io.honua.db.apikeys;

import static io.honua.db.schema.generated.Tables.API_KEYS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.ConflictException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.internal.Secrets;
import io.honua.db.schema.generated.tables.records.ApiKeysRecord;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ApiKeysTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    static DSLContext sql;
    static ApiKeys apiKeys;

    @BeforeAll
    static void setUp() {
        sql = fx.dsl();
        apiKeys = fx.honua().apiKeys();
    }

    @Test
    void createShowsTheKeyOnceAndStoresOnlyItsHash() {
        String c = Fixtures.newCustomer(fx.honua());
        CreatedApiKey created = apiKeys.create(new NewApiKey(c, "worker-pool-eu", Set.of("builds:claim", "builds:complete")));
        String key = created.key();
        assertThat(key).matches("hk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}");
        assertThat(key).startsWith(created.apiKey().prefix() + "_");
        assertThat(created.toString()).doesNotContain(key);
        assertThat(created.apiKey().scopes()).containsExactly("builds:claim", "builds:complete");
        assertThat(created.apiKey().lastUsedAt()).isEmpty();

        ApiKeysRecord row = sql.selectFrom(API_KEYS).where(API_KEYS.ID.eq(created.apiKey().id())).fetchOne();
        assertThat(row.getKeyHash()).isEqualTo(Secrets.sha256Hex(key));
        assertThat(row.intoMap().values().stream().map(String::valueOf)).noneMatch(v -> v.contains(key.substring(12)));
        assertThat(apiKeys.list(c)).containsExactly(created.apiKey());
    }

    @Test
    void verifyUpdatesLastUsedAndRefusesWrongRevokedExpired() {
        String c = Fixtures.newCustomer(fx.honua());
        CreatedApiKey created = apiKeys.create(new NewApiKey(c, "svc", Set.of("read")));
        ApiKeyCheck ok = apiKeys.verify(created.key());
        assertThat(ok.verdict()).isEqualTo(ApiKeyCheck.Verdict.VALID);
        assertThat(ok.apiKey().orElseThrow().customerId()).isEqualTo(c);
        Instant used = ok.apiKey().orElseThrow().lastUsedAt().orElseThrow();
        assertThat(apiKeys.find(c, created.apiKey().id()).orElseThrow().lastUsedAt()).contains(used);

        String wrong = created.key().substring(0, created.key().length() - 1) + (created.key().endsWith("x") ? "y" : "x");
        assertThat(apiKeys.verify(wrong).verdict()).isEqualTo(ApiKeyCheck.Verdict.UNKNOWN);
        assertThat(apiKeys.verify(wrong).apiKey()).isEmpty();

        ApiKey revoked = apiKeys.revoke(c, created.apiKey().id());
        assertThat(revoked.revoked()).isTrue();
        assertThat(apiKeys.revoke(c, created.apiKey().id()).revokedAt()).isEqualTo(revoked.revokedAt());
        ApiKeyCheck afterRevoke = apiKeys.verify(created.key());
        assertThat(afterRevoke.verdict()).isEqualTo(ApiKeyCheck.Verdict.REVOKED);
        assertThat(afterRevoke.apiKey().orElseThrow().lastUsedAt()).as("a refused key is not marked used").contains(used);
        // the name is free again once revoked
        apiKeys.create(new NewApiKey(c, "svc", Set.of()));

        CreatedApiKey expiring = apiKeys.create(new NewApiKey(c, "temp", Set.of(), Optional.of(Instant.now().plus(1, ChronoUnit.DAYS))));
        sql.update(API_KEYS).set(API_KEYS.CREATED_AT, Instant.now().minus(3, ChronoUnit.DAYS))
                .set(API_KEYS.EXPIRES_AT, Instant.now().minus(1, ChronoUnit.DAYS)).where(API_KEYS.ID.eq(expiring.apiKey().id())).execute();
        assertThat(apiKeys.verify(expiring.key()).verdict()).isEqualTo(ApiKeyCheck.Verdict.EXPIRED);
        assertThat(apiKeys.find(c, expiring.apiKey().id()).orElseThrow().lastUsedAt()).isEmpty();
    }

    @Test
    void badInputChangesNothing() {
        String c = Fixtures.newCustomer(fx.honua());
        apiKeys.create(new NewApiKey(c, "dup", Set.of()));
        int before = sql.fetchCount(API_KEYS);
        assertThatThrownBy(() -> apiKeys.create(new NewApiKey(c, "dup", Set.of()))).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> apiKeys.create(new NewApiKey("no-such-customer", "k", Set.of()))).isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> new NewApiKey(c, "x".repeat(201), Set.of())).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new NewApiKey(c, "k", Set.of("Bad Scope"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> new NewApiKey(c, "k", null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> apiKeys.create(new NewApiKey(c, "past", Set.of(), Optional.of(Instant.now().minusSeconds(5)))))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> apiKeys.verify(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> apiKeys.verify("k".repeat(201))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> apiKeys.revoke(Fixtures.newCustomer(fx.honua()), UUID.randomUUID())).isInstanceOf(UnknownApiKeyException.class);
        assertThat(sql.fetchCount(API_KEYS)).isEqualTo(before);
    }
}
