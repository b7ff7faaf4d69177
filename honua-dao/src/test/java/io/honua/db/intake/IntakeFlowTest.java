package io.honua.db.intake;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static io.honua.db.schema.generated.Tables.BUILD_RESULTS;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.queue.Build;
import io.honua.db.queue.BuildStatus;
import io.honua.db.queue.Completion;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole intake flow on a database of its own, so that every view reports exactly this flow's data:
 * conversation → messages → extractions → manifest → validated → build enqueued → claimed and completed.
 */
class IntakeFlowTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    final Intake intake = fx.honua().intake();

    private static BigDecimal avg(long a, long b, int scale) {
        return BigDecimal.valueOf(a + b).divide(BigDecimal.valueOf(2), scale, RoundingMode.HALF_UP);
    }

    @Test
    void conversationToCompletedBuildAndEveryViewReportsIt() {
        Conversations conversations = intake.conversations();
        String customer = Fixtures.newCustomer(fx.honua());
        Fixtures.license(fx.dsl(), customer, 2);

        // 1. the conversation that produces a build
        Conversation chat = conversations.start(NewConversation.builder(customer, "model-a").build());
        conversations.append(chat.id(), NewMessage.builder(MessageRole.SYSTEM, "You turn requests into build manifests.").tokens(9).build());
        conversations.append(chat.id(), NewMessage.builder(MessageRole.USER, "Containerize my Spring Boot service, Java 21, mvn verify")
                .tokens(15, 0).cost(new BigDecimal("0.000150")).build());
        conversations.append(chat.id(), NewMessage.builder(MessageRole.ASSISTANT, "")
                .tokens(40, 22).cost(new BigDecimal("0.002100"))
                .functionCall("inspect_repo", "{\"files\": [\"pom.xml\"]}").build());
        conversations.append(chat.id(), NewMessage.builder(MessageRole.FUNCTION, "{\"framework\": \"spring-boot\"}")
                .functionName("inspect_repo").tokens(11).build());
        conversations.append(chat.id(), NewMessage.builder(MessageRole.ASSISTANT, "Here is your manifest.")
                .tokens(70, 35).cost(new BigDecimal("0.003300")).build());
        conversations.detectIntent(chat.id(), "containerize_service");

        // 2. extractions, one corrected by a human
        Extractions extractions = intake.extractions();
        Extraction language = extractions.record(NewExtraction.of(chat.id(), RequirementType.LANGUAGE, "{\"name\": \"java\", \"version\": 21}",
                new BigDecimal("0.950")));
        Extraction framework = extractions.record(NewExtraction.of(chat.id(), RequirementType.FRAMEWORK, "\"quarkus\"", new BigDecimal("0.600")));
        Extraction command = extractions.record(NewExtraction.of(chat.id(), RequirementType.BUILD_COMMAND, "\"mvn verify\"", new BigDecimal("0.875")));
        Extraction corrected = extractions.correct(framework.id(), "\"spring-boot\"");
        assertThat(corrected.corrected()).isTrue();
        assertThat(corrected.correctedValueJson()).contains("\"spring-boot\"");

        // 3. manifest from the conversation, a revision, validated
        Manifests manifests = intake.manifests();
        Manifest v1 = manifests.create(NewManifest.fromConversation(customer, chat.id(), "orders-service",
                "{\"language\": \"java\", \"framework\": \"quarkus\", \"build\": \"mvn verify\"}"));
        Manifest v2 = manifests.newVersion(v1.id(), "{\"language\": \"java\", \"framework\": \"spring-boot\", \"build\": \"mvn verify\"}");
        assertThat(v2.conversationId()).contains(chat.id());
        for (Extraction e : List.of(language, corrected, command)) {
            assertThat(extractions.linkToManifest(e.id(), v2.id()).manifestId()).contains(v2.id());
        }
        Manifest valid = manifests.recordValidation(v2.id(), List.of());
        assertThat(valid.validationStatus()).isEqualTo(ManifestValidationStatus.VALID);

        // 4. handed to the build queue; a worker claims and completes it
        ManifestBuild handed = manifests.enqueueBuild(v2.id(), ManifestBuildOptions.builder().priority(9).build());
        assertThat(handed.manifest().isPublished()).isTrue();
        List<Build> claimed = fx.honua().buildQueue().claim("worker-flow", 5);
        assertThat(claimed).extracting(Build::id).containsExactly(handed.build().id());
        Build done = fx.honua().buildQueue().complete(handed.build().id(), "worker-flow",
                Completion.builder(Duration.ofSeconds(42)).exitCode(0).build());
        assertThat(done.status()).isEqualTo(BuildStatus.COMPLETED);
        assertThat(fx.dsl().fetchCount(BUILD_RESULTS, BUILD_RESULTS.BUILD_ID.eq(done.id()))).isEqualTo(1);
        assertThat(fx.dsl().select(BUILD_QUEUE.MANIFEST_ID, BUILD_QUEUE.MANIFEST_HASH).from(BUILD_QUEUE)
                .where(BUILD_QUEUE.ID.eq(done.id())).fetchSingle().intoArray())
                .containsExactly(v2.id(), v2.digest());
        Manifest deployed = manifests.recordDeployment(v2.id(), DeploymentStatus.DEPLOYED, "k8s/prod/orders");
        assertThat(deployed.deployedAt()).isPresent();
        conversations.rate(chat.id(), 5);
        Conversation closed = conversations.close(chat.id());

        // 5. two more conversations: one abandoned with the same intent and model, one still active on another model
        Conversation gaveUp = conversations.start(NewConversation.builder(customer, "model-a").detectedIntent("containerize_service").build());
        conversations.append(gaveUp.id(), NewMessage.builder(MessageRole.USER, "hello?").tokens(4, 0).cost(new BigDecimal("0.000040")).build());
        conversations.rate(gaveUp.id(), 2);
        Conversation abandoned = conversations.abandon(gaveUp.id());
        Conversation open = conversations.start(NewConversation.builder(customer, "model-b").build());
        conversations.append(open.id(), NewMessage.builder(MessageRole.USER, "question").tokens(6, 0).build());
        conversations.append(open.id(), NewMessage.builder(MessageRole.ASSISTANT, "answer").tokens(6, 9).cost(new BigDecimal("0.000900")).build());
        Conversation active = conversations.find(open.id()).orElseThrow();

        assertThat(closed.messageCount()).isEqualTo(5);
        assertThat(closed.totalTokens()).isEqualTo(9 + 15 + 62 + 11 + 105);
        assertThat(closed.promptTokens()).isEqualTo(15 + 40 + 70);
        assertThat(closed.completionTokens()).isEqualTo(22 + 35);
        assertThat(closed.totalCostUsd()).isEqualByComparingTo("0.005550");

        // ---- views ----
        IntakeAnalytics analytics = intake.analytics();

        assertThat(analytics.activeConversations()).singleElement().satisfies(a -> {
            assertThat(a.id()).isEqualTo(open.id());
            assertThat(a.customerId()).isEqualTo(customer);
            assertThat(a.model()).isEqualTo("model-b");
            assertThat(a.detectedIntent()).isEmpty();
            assertThat(a.messageCount()).isEqualTo(2);
            assertThat(a.totalTokens()).isEqualTo(21);
            assertThat(a.totalCostUsd()).isEqualByComparingTo("0.000900");
            assertThat(a.lastActivityAt()).isEqualTo(active.lastActivityAt());
            assertThat(a.idleFor().isNegative()).isFalse();
        });
        assertThat(analytics.activeConversations(customer)).hasSize(1);
        assertThat(analytics.activeConversations("someone-else")).isEmpty();

        assertThat(analytics.performanceByModel()).hasSize(2);
        ModelPerformance a = analytics.performanceByModel().get(0);
        assertThat(a.model()).isEqualTo("model-a");
        assertThat(a.conversations()).isEqualTo(2);
        assertThat(a.completed()).isEqualTo(1);
        assertThat(a.abandoned()).isEqualTo(1);
        assertThat(a.completionRate()).isEqualByComparingTo("0.5");
        assertThat(a.avgMessages()).isEqualByComparingTo(avg(closed.messageCount(), abandoned.messageCount(), 2));
        assertThat(a.avgTokens()).isEqualByComparingTo(avg(closed.totalTokens(), abandoned.totalTokens(), 2));
        assertThat(a.totalCostUsd()).isEqualByComparingTo(closed.totalCostUsd().add(abandoned.totalCostUsd()));
        assertThat(a.avgSatisfaction()).hasValueSatisfying(s -> assertThat(s).isEqualByComparingTo("3.5"));
        ModelPerformance b = analytics.performanceByModel().get(1);
        assertThat(b.model()).isEqualTo("model-b");
        assertThat(b.conversations()).isEqualTo(1);
        assertThat(b.completed()).isZero();
        assertThat(b.completionRate()).isEqualByComparingTo("0");
        assertThat(b.avgSatisfaction()).isEmpty();

        // two versions of one manifest: the conversation still counts once, and the manifest once
        assertThat(analytics.intents()).containsExactly(
                new IntentStats("containerize_service", 2, new BigDecimal("0.5000"), avg(closed.totalTokens(), abandoned.totalTokens(), 2),
                        Optional.of(new BigDecimal("3.50")), 1),
                new IntentStats("unknown", 1, new BigDecimal("0.0000"), new BigDecimal(active.totalTokens()).setScale(2), Optional.empty(), 0));

        // by type name
        assertThat(analytics.extractionAccuracy()).containsExactly(
                new ExtractionAccuracy(RequirementType.BUILD_COMMAND, 1, 0, new BigDecimal("1.0000"), new BigDecimal("0.875"), Optional.empty()),
                new ExtractionAccuracy(RequirementType.FRAMEWORK, 1, 1, new BigDecimal("0.0000"), new BigDecimal("0.600"),
                        Optional.of(new BigDecimal("0.600"))),
                new ExtractionAccuracy(RequirementType.LANGUAGE, 1, 0, new BigDecimal("1.0000"), new BigDecimal("0.950"), Optional.empty()));
    }
}
