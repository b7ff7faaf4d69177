package io.honua.db.intake;

import static io.honua.db.schema.generated.Tables.BUILD_MANIFESTS;
import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.ConflictException;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.NotFoundException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.queue.BuildStatus;
import io.honua.db.schema.generated.tables.records.BuildManifestsRecord;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ManifestsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(10);

    static Manifests manifests;
    static DSLContext dsl;

    static final String JAVA_APP = "{\"language\": \"java\", \"build\": {\"tool\": \"maven\", \"goals\": [\"verify\"]}}";

    @BeforeAll
    static void setUp() {
        manifests = fx.honua().intake().manifests();
        dsl = fx.dsl();
    }

    private static BuildManifestsRecord row(UUID id) {
        return dsl.selectFrom(BUILD_MANIFESTS).where(BUILD_MANIFESTS.ID.eq(id)).fetchSingle();
    }

    private Manifest published(String customer, String name) {
        Manifest m = manifests.create(NewManifest.standalone(customer, name, JAVA_APP));
        manifests.recordValidation(m.id(), List.of());
        return manifests.publish(m.id());
    }

    @Test
    void digestIsSha256OfCanonicalContent() {
        String customer = Fixtures.newCustomer(fx.honua());
        Manifest a = manifests.create(NewManifest.standalone(customer, "a", "{\"b\": 1, \"a\": {\"y\": [1, 2], \"x\": null}}"));
        Manifest b = manifests.create(NewManifest.standalone(customer, "b", "{ \"a\":{\"x\":null,\"y\":[1,2]},\n  \"b\":1 }"));
        Manifest c = manifests.create(NewManifest.standalone(customer, "c", "{\"b\": 2, \"a\": {\"y\": [1, 2], \"x\": null}}"));
        assertThat(a.digest()).matches("[0-9a-f]{64}").isEqualTo(Fixtures.sha256(a.manifestJson()));
        assertThat(b.digest()).as("same content, other formatting").isEqualTo(a.digest());
        assertThat(c.digest()).isNotEqualTo(a.digest()).isEqualTo(Fixtures.sha256(c.manifestJson()));
        assertThat(a.version()).isEqualTo(1);
        assertThat(a.validationStatus()).isEqualTo(ManifestValidationStatus.PENDING);
        assertThat(a.isPublished()).isFalse();
        // the digest cannot be forged: the database recomputes it
        dsl.update(BUILD_MANIFESTS).set(BUILD_MANIFESTS.MANIFEST_DIGEST, "f".repeat(64)).where(BUILD_MANIFESTS.ID.eq(a.id())).execute();
        assertThat(row(a.id()).getManifestDigest()).isEqualTo(a.digest());
    }

    @Test
    void publishedManifestIsImmutableAndAChangeIsANewVersionWithANewDigest() {
        String customer = Fixtures.newCustomer(fx.honua());
        Manifest v1 = published(customer, "svc");
        assertThat(v1.isPublished()).isTrue();
        BuildManifestsRecord before = row(v1.id());

        // the database refuses, whoever updates: raw SQL through jOOQ
        assertThatThrownBy(() -> dsl.update(BUILD_MANIFESTS).set(BUILD_MANIFESTS.MANIFEST, JSONB.valueOf("{\"language\": \"go\"}"))
                .where(BUILD_MANIFESTS.ID.eq(v1.id())).execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("HI004"));
        assertThatThrownBy(() -> dsl.update(BUILD_MANIFESTS).set(BUILD_MANIFESTS.VERSION, 7).where(BUILD_MANIFESTS.ID.eq(v1.id())).execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("HI004"));
        assertThatThrownBy(() -> dsl.update(BUILD_MANIFESTS).setNull(BUILD_MANIFESTS.PUBLISHED_AT).where(BUILD_MANIFESTS.ID.eq(v1.id())).execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("HI004"));
        // and through the DAO as a typed error
        assertThatThrownBy(() -> manifests.replaceDraft(v1.id(), "{\"language\": \"go\"}"))
                .isInstanceOf(ManifestPublishedException.class).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> manifests.recordValidation(v1.id(), List.of("late objection")))
                .isInstanceOf(ManifestPublishedException.class);
        assertThat(row(v1.id())).isEqualTo(before);
        assertThat(manifests.publish(v1.id())).as("publishing again is a no-op").isEqualTo(v1);

        Manifest v2 = manifests.newVersion(v1.id(), "{\"language\": \"go\"}");
        assertThat(v2.id()).isNotEqualTo(v1.id());
        assertThat(v2.name()).isEqualTo("svc");
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.digest()).isNotEqualTo(v1.digest()).isEqualTo(Fixtures.sha256(v2.manifestJson()));
        assertThat(v2.validationStatus()).isEqualTo(ManifestValidationStatus.PENDING);
        assertThat(v2.isPublished()).isFalse();
        assertThat(row(v1.id())).isEqualTo(before);
        assertThat(manifests.versions(customer, "svc")).extracting(Manifest::version).containsExactly(1, 2);

        // identical content is not a change
        assertThatThrownBy(() -> manifests.newVersion(v1.id(), "{\"language\":\"go\"}")).isInstanceOf(ConflictException.class);
        // a draft may still be edited in place; validation starts over
        manifests.recordValidation(v2.id(), List.of());
        Manifest edited = manifests.replaceDraft(v2.id(), "{\"language\": \"go\", \"version\": \"1.23\"}");
        assertThat(edited.validationStatus()).isEqualTo(ManifestValidationStatus.PENDING);
        assertThat(edited.digest()).isNotEqualTo(v2.digest());
        assertThat(manifests.versions(customer, "svc")).hasSize(2);
    }

    @Test
    void concurrentNewVersionsGetConsecutiveNumbers() throws Exception {
        String customer = Fixtures.newCustomer(fx.honua());
        Manifest v1 = published(customer, "busy");
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Manifest>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int n = t;
                futures.add(pool.submit(() -> {
                    go.await();
                    return manifests.newVersion(v1.id(), "{\"language\": \"java\", \"variant\": " + n + "}");
                }));
            }
            go.countDown();
        }
        List<Integer> versions = new ArrayList<>();
        for (Future<Manifest> f : futures) {
            versions.add(f.get().version());
        }
        assertThat(versions).containsExactlyInAnyOrder(2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(manifests.versions(customer, "busy")).extracting(Manifest::digest).doesNotHaveDuplicates().hasSize(9);
    }

    @Test
    void onlyValidManifestsArePublishedOrBuiltAndEnqueueIsAtomic() {
        String customer = Fixtures.newCustomer(fx.honua());
        Manifest m = manifests.create(NewManifest.standalone(customer, "app", JAVA_APP));
        int builds = dsl.fetchCount(BUILD_QUEUE);

        assertThatThrownBy(() -> manifests.publish(m.id())).isInstanceOf(ManifestNotValidException.class);
        assertThatThrownBy(() -> manifests.enqueueBuild(m.id(), ManifestBuildOptions.DEFAULTS)).isInstanceOf(ManifestNotValidException.class);
        Manifest invalid = manifests.recordValidation(m.id(), List.of("no build tool", "quote \" and \\ backslash"));
        assertThat(invalid.validationStatus()).isEqualTo(ManifestValidationStatus.INVALID);
        assertThat(invalid.validationErrorsJson()).isEqualTo("[\"no build tool\", \"quote \\\" and \\\\ backslash\"]");
        assertThatThrownBy(() -> manifests.enqueueBuild(m.id(), ManifestBuildOptions.DEFAULTS)).isInstanceOf(ManifestNotValidException.class);
        // publishing an invalid manifest by hand is refused by the database as well
        assertThatThrownBy(() -> dsl.update(BUILD_MANIFESTS).set(BUILD_MANIFESTS.PUBLISHED_AT, DSL.currentInstant())
                .where(BUILD_MANIFESTS.ID.eq(m.id())).execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("HI005"));
        assertThat(row(m.id()).getPublishedAt()).isNull();

        Manifest valid = manifests.recordValidation(m.id(), List.of());
        assertThat(valid.validationStatus()).isEqualTo(ManifestValidationStatus.VALID);
        assertThat(valid.validationErrorsJson()).isEqualTo("[]");
        // a failing enqueue (unknown dependency) publishes nothing and queues nothing
        assertThatThrownBy(() -> manifests.enqueueBuild(m.id(), ManifestBuildOptions.builder().dependsOn(UUID.randomUUID()).build()))
                .isInstanceOf(NotFoundException.class);
        assertThat(row(m.id()).getPublishedAt()).isNull();
        assertThat(dsl.fetchCount(BUILD_QUEUE)).isEqualTo(builds);

        ManifestBuild mb = manifests.enqueueBuild(m.id(), ManifestBuildOptions.builder().priority(8).idempotencyKey("app-v1").traceId("t-9").build());
        assertThat(mb.manifest().isPublished()).isTrue();
        assertThat(mb.build().status()).isEqualTo(BuildStatus.QUEUED);
        assertThat(mb.build().customerId()).isEqualTo(customer);
        assertThat(mb.build().priority()).isEqualTo(8);
        assertThat(mb.build().manifestId()).contains(m.id());
        assertThat(mb.build().manifestHash()).contains(m.digest());
        assertThat(mb.build().buildConfigJson()).isEqualTo(m.manifestJson());
        // idempotent: same key, same build
        assertThat(manifests.enqueueBuild(m.id(), ManifestBuildOptions.builder().idempotencyKey("app-v1").build()).build().id())
                .isEqualTo(mb.build().id());
        assertThat(dsl.fetchCount(BUILD_QUEUE)).isEqualTo(builds + 1);
    }

    @Test
    void buildOptionsHaveTheQueueBounds() {
        // the bounds a direct NewBuild enforces hold for manifest builds too: a timeout beyond Integer.MAX_VALUE
        // seconds and an over-long or blank trace id are refused before anything is written
        Duration tooLong = Duration.ofSeconds((long) Integer.MAX_VALUE + 1);
        assertThatThrownBy(() -> ManifestBuildOptions.builder().timeout(tooLong).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ManifestBuildOptions.builder().traceId("t".repeat(201)).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ManifestBuildOptions.builder().traceId(" ").build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ManifestBuildOptions.builder().correlationId("c".repeat(201)).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ManifestBuildOptions.builder().maxAttempts(0).build())
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ManifestBuildOptions.builder().dependsOn((UUID[]) null).build())
                .isInstanceOf(InvalidRequestException.class);
        // values, not identities: equal options are equal
        assertThat(ManifestBuildOptions.builder().priority(5).build()).isEqualTo(ManifestBuildOptions.DEFAULTS)
                .hasSameHashCodeAs(ManifestBuildOptions.DEFAULTS);
        assertThat(ManifestBuildOptions.builder().priority(6).build()).isNotEqualTo(ManifestBuildOptions.DEFAULTS);
        // at the bounds they are accepted and reach the build unchanged
        String customer = Fixtures.newCustomer(fx.honua());
        long builds = dsl.fetchCount(BUILD_QUEUE);
        Manifest m = manifests.create(NewManifest.standalone(customer, "bounds-app", JAVA_APP));
        manifests.recordValidation(m.id(), List.of());
        Duration longest = Duration.ofSeconds(Integer.MAX_VALUE);
        ManifestBuildOptions options = ManifestBuildOptions.builder().timeout(longest).traceId("t".repeat(200))
                .correlationId("c".repeat(200)).maxAttempts(100).build();
        ManifestBuild mb = manifests.enqueueBuild(m.id(), options);
        assertThat(mb.build().customerId()).isEqualTo(customer);
        assertThat(mb.build().timeout()).isEqualTo(longest);
        assertThat(mb.build().maxAttempts()).isEqualTo(100);
        assertThat(dsl.select(BUILD_QUEUE.TRACE_ID, BUILD_QUEUE.CORRELATION_ID).from(BUILD_QUEUE)
                .where(BUILD_QUEUE.ID.eq(mb.build().id())).fetchSingle().intoList())
                .containsExactly("t".repeat(200), "c".repeat(200));
        assertThat(dsl.fetchCount(BUILD_QUEUE)).isEqualTo(builds + 1);
    }

    @Test
    void deploymentTrackingNeedsAPublishedManifest() {
        String customer = Fixtures.newCustomer(fx.honua());
        Manifest draft = manifests.create(NewManifest.standalone(customer, "draft", JAVA_APP));
        assertThatThrownBy(() -> manifests.recordDeployment(draft.id(), DeploymentStatus.DEPLOYING, "k8s/prod"))
                .isInstanceOf(ConflictException.class);
        assertThat(row(draft.id()).getDeploymentStatus()).isEqualTo("not_deployed");

        Manifest p = published(customer, "live");
        Manifest deploying = manifests.recordDeployment(p.id(), DeploymentStatus.DEPLOYING, "k8s/prod");
        assertThat(deploying.deploymentStatus()).isEqualTo(DeploymentStatus.DEPLOYING);
        assertThat(deploying.deployedAt()).isEmpty();
        Manifest deployed = manifests.recordDeployment(p.id(), DeploymentStatus.DEPLOYED, "k8s/prod");
        assertThat(deployed.deploymentStatus()).isEqualTo(DeploymentStatus.DEPLOYED);
        assertThat(deployed.deploymentTarget()).contains("k8s/prod");
        assertThat(deployed.deployedAt()).isPresent();
        // content untouched by deployment tracking
        assertThat(deployed.digest()).isEqualTo(p.digest());
        assertThat(deployed.manifestJson()).isEqualTo(p.manifestJson());
    }

    @Test
    void badManifestInputIsRefusedAndChangesNothing() {
        String customer = Fixtures.newCustomer(fx.honua());
        String other = Fixtures.newCustomer(fx.honua());
        Conversation othersConversation = fx.honua().intake().conversations().start(NewConversation.builder(other, "m").build());
        manifests.create(NewManifest.standalone(customer, "taken", JAVA_APP));
        int before = dsl.fetchCount(BUILD_MANIFESTS);

        assertThatThrownBy(() -> manifests.create(NewManifest.standalone(customer, "bad", "{\"unterminated\": ")))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> manifests.create(NewManifest.standalone(customer, "bad", "[1, 2]")))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> manifests.create(NewManifest.standalone(customer, "taken", "{}")))
                .isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> manifests.create(NewManifest.standalone("no-such-customer", "x", "{}")))
                .isInstanceOf(UnknownCustomerException.class);
        assertThatThrownBy(() -> manifests.create(NewManifest.fromConversation(customer, UUID.randomUUID(), "x", "{}")))
                .isInstanceOf(UnknownConversationException.class);
        assertThatThrownBy(() -> manifests.create(NewManifest.fromConversation(customer, othersConversation.id(), "x", "{}")))
                .isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> manifests.create(NewManifest.standalone(customer, "", "{}"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> manifests.create(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> manifests.newVersion(UUID.randomUUID(), "{}")).isInstanceOf(UnknownManifestException.class);
        assertThatThrownBy(() -> manifests.newVersion(null, "{}")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> manifests.publish(UUID.randomUUID())).isInstanceOf(UnknownManifestException.class);
        assertThatThrownBy(() -> manifests.enqueueBuild(UUID.randomUUID(), ManifestBuildOptions.DEFAULTS)).isInstanceOf(UnknownManifestException.class);
        assertThatThrownBy(() -> manifests.recordValidation(UUID.randomUUID(), List.of())).isInstanceOf(UnknownManifestException.class);
        assertThatThrownBy(() -> ManifestBuildOptions.builder().priority(11).build()).isInstanceOf(InvalidRequestException.class);
        assertThat(dsl.fetchCount(BUILD_MANIFESTS)).isEqualTo(before);
    }
}
