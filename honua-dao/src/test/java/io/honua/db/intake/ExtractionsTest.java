package io.honua.db.intake;

import static io.honua.db.schema.generated.Tables.REQUIREMENT_EXTRACTIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.schema.generated.tables.records.RequirementExtractionsRecord;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ExtractionsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    static Extractions extractions;
    static DSLContext dsl;

    @BeforeAll
    static void setUp() {
        extractions = fx.honua().intake().extractions();
        dsl = fx.dsl();
    }

    private Conversation conversation() {
        return fx.honua().intake().conversations().start(NewConversation.builder(Fixtures.newCustomer(fx.honua()), "m").build());
    }

    @Test
    void recordCorrectAndLink() {
        Conversation c = conversation();
        Extraction e = extractions.record(NewExtraction.of(c.id(), RequirementType.RUNTIME, "{\"jdk\": 21}", new BigDecimal("0.9")));
        assertThat(e.conversationId()).isEqualTo(c.id());
        assertThat(e.type()).isEqualTo(RequirementType.RUNTIME);
        assertThat(e.extractedValueJson()).isEqualTo("{\"jdk\": 21}");
        assertThat(e.confidence()).isEqualByComparingTo("0.9");
        assertThat(e.corrected()).isFalse();
        assertThat(e.correctedValueJson()).isEmpty();
        assertThat(e.manifestId()).isEmpty();

        Extraction fixed = extractions.correct(e.id(), "{\"jdk\": 25}");
        assertThat(fixed.corrected()).isTrue();
        assertThat(fixed.correctedValueJson()).contains("{\"jdk\": 25}");
        assertThat(fixed.extractedValueJson()).as("the original stays for accuracy analysis").isEqualTo("{\"jdk\": 21}");
        assertThat(extractions.correct(e.id(), "{\"jdk\": 17}").correctedValueJson()).contains("{\"jdk\": 17}");

        Manifest m = fx.honua().intake().manifests().create(NewManifest.fromConversation(c.customerId(), c.id(), "rt", "{\"jdk\": 17}"));
        assertThat(extractions.linkToManifest(e.id(), m.id()).manifestId()).contains(m.id());
        Extraction direct = extractions.record(NewExtraction.of(c.id(), RequirementType.OTHER, "[1]", BigDecimal.ONE).forManifest(m.id()));
        assertThat(direct.manifestId()).contains(m.id());
        assertThat(extractions.ofConversation(c.id())).extracting(Extraction::id).containsExactly(e.id(), direct.id());
        assertThat(extractions.find(e.id())).contains(extractions.ofConversation(c.id()).getFirst());
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        Conversation c = conversation();
        Extraction e = extractions.record(NewExtraction.of(c.id(), RequirementType.LANGUAGE, "\"go\"", new BigDecimal("0.5")));
        RequirementExtractionsRecord before = dsl.selectFrom(REQUIREMENT_EXTRACTIONS).where(REQUIREMENT_EXTRACTIONS.ID.eq(e.id())).fetchSingle();
        int count = dsl.fetchCount(REQUIREMENT_EXTRACTIONS);

        for (String bad : List.of("-0.001", "1.001", "0.1234")) {
            assertThatThrownBy(() -> NewExtraction.of(c.id(), RequirementType.LANGUAGE, "1", new BigDecimal(bad)))
                    .isInstanceOf(InvalidRequestException.class);
        }
        assertThatThrownBy(() -> NewExtraction.of(null, RequirementType.LANGUAGE, "1", BigDecimal.ONE)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewExtraction.of(c.id(), null, "1", BigDecimal.ONE)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> extractions.record(NewExtraction.of(c.id(), RequirementType.LANGUAGE, "{oops", BigDecimal.ONE)))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> extractions.record(NewExtraction.of(UUID.randomUUID(), RequirementType.LANGUAGE, "1", BigDecimal.ONE)))
                .isInstanceOf(UnknownConversationException.class);
        assertThatThrownBy(() -> extractions.record(NewExtraction.of(c.id(), RequirementType.LANGUAGE, "1", BigDecimal.ONE)
                .forManifest(UUID.randomUUID()))).isInstanceOf(UnknownManifestException.class);
        assertThatThrownBy(() -> extractions.record(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> extractions.correct(e.id(), "not json")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> extractions.correct(UUID.randomUUID(), "1")).isInstanceOf(UnknownExtractionException.class);
        assertThatThrownBy(() -> extractions.linkToManifest(e.id(), UUID.randomUUID())).isInstanceOf(UnknownManifestException.class);
        assertThatThrownBy(() -> extractions.linkToManifest(UUID.randomUUID(), UUID.randomUUID())).isInstanceOf(UnknownExtractionException.class);

        assertThat(dsl.fetchCount(REQUIREMENT_EXTRACTIONS)).isEqualTo(count);
        assertThat(dsl.selectFrom(REQUIREMENT_EXTRACTIONS).where(REQUIREMENT_EXTRACTIONS.ID.eq(e.id())).fetchSingle()).isEqualTo(before);
    }
}
