package io.honua.db.tenancy;

import static io.honua.db.schema.generated.Tables.API_KEYS;
import static io.honua.db.schema.generated.Tables.AUDIT_EVENTS;
import static io.honua.db.schema.generated.Tables.BUILD_ACCESS_LOG;
import static io.honua.db.schema.generated.Tables.CONVERSATIONS;
import static io.honua.db.schema.generated.Tables.CONVERSATION_MESSAGES;
import static io.honua.db.schema.generated.Tables.REGISTRY_CREDENTIALS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.HonuaDb;
import io.honua.db.apikeys.NewApiKey;
import io.honua.db.audit.NewAuditEvent;
import io.honua.db.cache.BuildCache;
import io.honua.db.cache.CacheEntry;
import io.honua.db.cache.NewCacheEntry;
import io.honua.db.core.HonuaException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.credentials.NewCredential;
import io.honua.db.credentials.RegistryType;
import io.honua.db.crypto.LocalKeyProvider;
import io.honua.db.intake.Conversation;
import io.honua.db.intake.Intake;
import io.honua.db.intake.MessageRole;
import io.honua.db.intake.NewConversation;
import io.honua.db.intake.NewMessage;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import io.honua.db.types.Tier;
import java.util.Set;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The cache and intake DAOs used by the application role through a tenant scope: they work, and only for that tenant. */
class TenantScopeAppRoleTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled().withAppPool(4);

    static DSLContext admin;
    static final String A = "scope-a";
    static final String B = "scope-b";

    @BeforeAll
    static void setUp() {
        admin = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        for (String t : new String[] {A, B}) {
            Fixtures.customer(admin, t);
            Fixtures.license(admin, t, 5);   // professional tier
        }
    }

    @Test
    void cacheWorksForTheScopedTenantAndOnlyForIt() {
        BuildCache cacheA = fx.app().forTenant(A).buildCache();
        BuildCache cacheB = fx.app().forTenant(B).buildCache();
        String hash = Fixtures.sha256("scoped-manifest");
        // shared entries are registered by the service role only (issue 12); the application role's register is refused
        assertThatThrownBy(() -> cacheA.register(NewCacheEntry.of(A, hash, Tier.STANDARD, "registry/evil:1", "sha256:e")))
                .isInstanceOf(HonuaException.class).hasMessageContaining("permission denied");
        CacheEntry registered;
        try (var workerPool = Fixtures.workerPool(fx.db(), 1)) {
            registered = HonuaDb.create(workerPool).buildCache().register(NewCacheEntry.of(A, hash, Tier.STANDARD, "registry/a:1", "sha256:a"));
        }

        assertThat(cacheA.lookupAndRecord(A, hash, Tier.STANDARD)).map(CacheEntry::id).contains(registered.id());
        // entries are shared: B (same tier) finds A's image, and its access is logged as B's
        assertThat(cacheB.lookupAndRecord(B, hash, Tier.STANDARD)).map(CacheEntry::id).contains(registered.id());
        assertThat(admin.fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(A))).isEqualTo(1);
        assertThat(admin.fetchCount(BUILD_ACCESS_LOG, BUILD_ACCESS_LOG.CUSTOMER_ID.eq(B))).isEqualTo(1);

        // A's scope cannot act for B: B is not visible to it, so it is an unknown customer, and nothing is logged
        int before = admin.fetchCount(BUILD_ACCESS_LOG);
        assertThatThrownBy(() -> cacheA.lookupAndRecord(B, hash, Tier.STANDARD)).isInstanceOf(HonuaException.class);
        assertThatThrownBy(() -> cacheA.record(B, hash, Tier.STANDARD, true)).isInstanceOf(HonuaException.class);
        assertThat(admin.fetchCount(BUILD_ACCESS_LOG)).isEqualTo(before);
        // without a tenant the application role sees no customer at all
        assertThatThrownBy(() -> fx.app().buildCache().licenseTier(A)).isInstanceOf(io.honua.db.core.NotFoundException.class);
        assertThat(cacheA.licenseTier(A)).isPresent();
    }

    @Test
    void intakeWorksForTheScopedTenantAndOnlyForIt() {
        Intake intakeA = fx.app().forTenant(A).intake();
        Intake intakeB = fx.app().forTenant(B).intake();
        Conversation chat = intakeA.conversations().start(NewConversation.builder(A, "gpt-4.1").build());
        intakeA.conversations().append(chat.id(), NewMessage.builder(MessageRole.USER, "Containerize my app").tokens(12, 0).build());
        assertThat(intakeA.conversations().find(chat.id())).hasValueSatisfying(c -> assertThat(c.messageCount()).isEqualTo(1));

        // B sees nothing of A's conversation and cannot write into it
        assertThat(intakeB.conversations().find(chat.id())).isEmpty();
        assertThatThrownBy(() -> intakeB.conversations().append(chat.id(), NewMessage.user("injected")))
                .isInstanceOf(HonuaException.class);
        assertThatThrownBy(() -> intakeA.conversations().start(NewConversation.builder(B, "gpt-4.1").build()))
                .isInstanceOf(HonuaException.class);
        assertThat(admin.fetchCount(CONVERSATION_MESSAGES)).isEqualTo(1);
        assertThat(admin.fetchCount(CONVERSATIONS, CONVERSATIONS.CUSTOMER_ID.eq(B))).isZero();
    }

    /**
     * Audit, API keys, licenses and registry credentials through a tenant scope: the scope's own tenant works under the
     * application role; any other customer id is refused before anything runs (the DAOs set the tenant per call, and a
     * scope must not let them switch it), and nothing of the other tenant changes.
     */
    @Test
    void customerIdTakingDaosOfAScopeActForItsTenantOnly() {
        LocalKeyProvider keys = LocalKeyProvider.generate("scope-keys");
        HonuaDb owner = HonuaDb.builder(fx.db().dataSource()).keyProvider(keys).build();
        TenantScope a = HonuaDb.builder(fx.appPool()).keyProvider(keys).build().forTenant(A).as("alice");
        owner.audit().record(B, NewAuditEvent.of("b.did", "thing", "b-1", "{}"));
        owner.apiKeys().create(new NewApiKey(B, "b-key", Set.of("read")));
        int audit = admin.fetchCount(AUDIT_EVENTS);
        int apiKeys = admin.fetchCount(API_KEYS);
        int credentials = admin.fetchCount(REGISTRY_CREDENTIALS);

        assertThatThrownBy(() -> a.audit().list(B, 0, 10)).isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.audit().record(B, NewAuditEvent.of("forged", "thing", "x", "{}")))
                .isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.audit().verifyChain(B)).isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.apiKeys().list(B)).isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.apiKeys().create(new NewApiKey(B, "planted", Set.of("read"))))
                .isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.licenses().list(B)).isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.licenses().quotaUsage(B)).isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.registryCredentials().list(B)).isInstanceOf(TenantAccessDeniedException.class);
        assertThatThrownBy(() -> a.registryCredentials().store(
                new NewCredential(B, RegistryType.QUAY, "planted", "https://quay.io", "u", "s")))
                .isInstanceOf(TenantAccessDeniedException.class);
        assertThat(admin.fetchCount(AUDIT_EVENTS)).isEqualTo(audit);
        assertThat(admin.fetchCount(API_KEYS)).isEqualTo(apiKeys);
        assertThat(admin.fetchCount(REGISTRY_CREDENTIALS)).isEqualTo(credentials);

        // its own tenant: the application role reads A's rows, and only A's
        assertThat(a.audit().list(A, 0, 100)).allSatisfy(e -> assertThat(e.customerId()).isEqualTo(A));
        assertThat(a.apiKeys().list(A)).isEmpty();
        assertThat(a.licenses().list(A)).isNotEmpty().allSatisfy(l -> assertThat(l.customerId()).isEqualTo(A));
        // without a key provider the encrypting DAOs are a typed error
        assertThatThrownBy(() -> fx.app().forTenant(A).licenses()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> fx.app().forTenant(A).registryCredentials()).isInstanceOf(InvalidRequestException.class);
    }
}
