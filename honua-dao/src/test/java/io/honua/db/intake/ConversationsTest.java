package io.honua.db.intake;

import static io.honua.db.schema.generated.Tables.CONVERSATIONS;
import static io.honua.db.schema.generated.Tables.CONVERSATION_MESSAGES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.core.NotFoundException;
import io.honua.db.core.UnknownCustomerException;
import io.honua.db.schema.generated.tables.records.ConversationsRecord;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ConversationsTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(4);

    static Conversations conversations;
    static DSLContext dsl;

    @BeforeAll
    static void setUp() {
        conversations = fx.honua().intake().conversations();
        dsl = fx.dsl();
    }

    private Conversation start() {
        return conversations.start(NewConversation.builder(Fixtures.newCustomer(fx.honua()), "gpt-test").build());
    }

    /** The conversation row as stored, for "nothing changed" checks. */
    private static ConversationsRecord row(UUID id) {
        return dsl.selectFrom(CONVERSATIONS).where(CONVERSATIONS.ID.eq(id)).fetchSingle();
    }

    private static int messageRows(UUID id) {
        return dsl.fetchCount(CONVERSATION_MESSAGES, CONVERSATION_MESSAGES.CONVERSATION_ID.eq(id));
    }

    @Test
    void startAppendAndCloseKeepTotals() {
        String customer = Fixtures.newCustomer(fx.honua());
        Conversation c = conversations.start(NewConversation.builder(customer, "claude-x").detectedIntent("build_java")
                .metadata("{\"channel\": \"web\"}").build());
        assertThat(c.status()).isEqualTo(ConversationStatus.ACTIVE);
        assertThat(c.customerId()).isEqualTo(customer);
        assertThat(c.detectedIntent()).contains("build_java");
        assertThat(c.metadataJson()).contains("\"channel\": \"web\"");
        assertThat(c.messageCount()).isZero();
        assertThat(c.endedAt()).isEmpty();

        conversations.append(c.id(), NewMessage.builder(MessageRole.SYSTEM, "You are Honua.").build());
        conversations.append(c.id(), NewMessage.builder(MessageRole.USER, "Build my app").tokens(12, 0).cost(new BigDecimal("0.000120")).build());
        Message call = conversations.append(c.id(), NewMessage.builder(MessageRole.ASSISTANT, "")
                .tokens(30, 25).cost(new BigDecimal("0.001500"))
                .functionCall("detect_language", "{\"path\": \"pom.xml\", \"deep\": true}").build());
        assertThat(call.functionName()).contains("detect_language");
        assertThat(call.functionCallJson()).hasValueSatisfying(j -> assertThat(j).contains("\"deep\": true"));
        assertThat(call.tokens()).isEqualTo(55);
        conversations.append(c.id(), NewMessage.builder("function", "{\"language\":\"java\"}").functionName("detect_language")
                .tokens(0, 0).tokens(7).build());

        Conversation after = conversations.find(c.id()).orElseThrow();
        assertThat(after.messageCount()).isEqualTo(4);
        assertThat(after.promptTokens()).isEqualTo(42);
        assertThat(after.completionTokens()).isEqualTo(25);
        assertThat(after.totalTokens()).isEqualTo(12 + 55 + 7);
        assertThat(after.totalCostUsd()).isEqualByComparingTo("0.001620");
        assertThat(after.lastActivityAt()).isAfterOrEqualTo(c.lastActivityAt());

        assertThat(conversations.messages(c.id())).extracting(Message::role)
                .containsExactly(MessageRole.SYSTEM, MessageRole.USER, MessageRole.ASSISTANT, MessageRole.FUNCTION);

        Conversation rated = conversations.rate(c.id(), 4);
        assertThat(rated.satisfactionScore()).contains(4);
        Conversation closed = conversations.close(c.id());
        assertThat(closed.status()).isEqualTo(ConversationStatus.COMPLETED);
        assertThat(closed.endedAt()).isPresent();
        // rating after the end is allowed
        assertThat(conversations.rate(c.id(), 5).satisfactionScore()).contains(5);
    }

    @Test
    void closedConversationTakesNoMessagesAndNothingChanges() {
        Conversation c = start();
        conversations.append(c.id(), NewMessage.builder(MessageRole.USER, "hi").tokens(3, 0).build());
        conversations.close(c.id());
        ConversationsRecord before = row(c.id());

        assertThatThrownBy(() -> conversations.append(c.id(), NewMessage.user("more")))
                .isInstanceOf(ConversationClosedException.class).hasMessageContaining("completed");
        assertThat(row(c.id())).isEqualTo(before);
        assertThat(messageRows(c.id())).isEqualTo(1);

        // the database itself refuses, whoever inserts
        assertThatThrownBy(() -> dsl.insertInto(CONVERSATION_MESSAGES).set(CONVERSATION_MESSAGES.CONVERSATION_ID, c.id())
                .set(CONVERSATION_MESSAGES.ROLE, "user").set(CONVERSATION_MESSAGES.CONTENT, "sneaky").execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("HI003"));
        assertThat(messageRows(c.id())).isEqualTo(1);
    }

    @Test
    void endStatesAreFinal() {
        for (ConversationStatus end : new ConversationStatus[] {ConversationStatus.COMPLETED, ConversationStatus.ABANDONED, ConversationStatus.ERROR}) {
            Conversation c = start();
            Conversation ended = switch (end) {
                case COMPLETED -> conversations.close(c.id());
                case ABANDONED -> conversations.abandon(c.id());
                default -> conversations.fail(c.id());
            };
            assertThat(ended.status()).isEqualTo(end);
            ConversationsRecord before = row(c.id());
            assertThatThrownBy(() -> conversations.close(c.id())).isInstanceOf(ConversationClosedException.class);
            assertThatThrownBy(() -> conversations.abandon(c.id())).isInstanceOf(ConversationClosedException.class);
            assertThatThrownBy(() -> conversations.fail(c.id())).isInstanceOf(ConversationClosedException.class);
            // back to active is refused by the database too
            assertThatThrownBy(() -> dsl.update(CONVERSATIONS).set(CONVERSATIONS.STATUS, "active").where(CONVERSATIONS.ID.eq(c.id())).execute())
                    .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("HI001"));
            assertThat(row(c.id())).isEqualTo(before);
        }
    }

    @Test
    void badMessagesAreRefusedAndChangeNothing() {
        Conversation c = start();
        conversations.append(c.id(), NewMessage.builder(MessageRole.USER, "first").tokens(5, 0).cost(new BigDecimal("0.01")).build());
        ConversationsRecord before = row(c.id());

        // unknown role
        assertThatThrownBy(() -> NewMessage.builder("robot", "x")).isInstanceOf(InvalidRequestException.class).hasMessageContaining("robot");
        assertThatThrownBy(() -> NewMessage.builder((String) null, "x")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewMessage.builder((MessageRole) null, "x").build()).isInstanceOf(InvalidRequestException.class);
        // negative tokens and cost
        assertThatThrownBy(() -> NewMessage.builder(MessageRole.USER, "x").tokens(-1, 0).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewMessage.builder(MessageRole.USER, "x").tokens(0, -5).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewMessage.builder(MessageRole.USER, "x").tokens(-3).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewMessage.builder(MessageRole.USER, "x").cost(new BigDecimal("-0.01")).build())
                .isInstanceOf(InvalidRequestException.class);
        // null content, function message without a function name
        assertThatThrownBy(() -> NewMessage.builder(MessageRole.USER, null).build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewMessage.builder(MessageRole.FUNCTION, "42").build()).isInstanceOf(InvalidRequestException.class);
        // malformed JSON payload: refused by the database
        assertThatThrownBy(() -> conversations.append(c.id(), NewMessage.builder(MessageRole.ASSISTANT, "")
                .functionCall("f", "{\"unterminated\": ").tokens(10, 10).build()))
                .isInstanceOf(InvalidRequestException.class);
        // JSON that is not an object or array
        assertThatThrownBy(() -> conversations.append(c.id(), NewMessage.builder(MessageRole.ASSISTANT, "")
                .functionCall("f", "42").tokens(10, 10).build()))
                .isInstanceOf(InvalidRequestException.class);
        // unknown conversation, null ids
        assertThatThrownBy(() -> conversations.append(UUID.randomUUID(), NewMessage.user("lost")))
                .isInstanceOf(UnknownConversationException.class).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> conversations.append(null, NewMessage.user("x"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.append(c.id(), null)).isInstanceOf(InvalidRequestException.class);
        // database constraint behind the API: a raw insert with an unknown role is refused too
        assertThatThrownBy(() -> dsl.insertInto(CONVERSATION_MESSAGES).set(CONVERSATION_MESSAGES.CONVERSATION_ID, c.id())
                .set(CONVERSATION_MESSAGES.ROLE, "robot").set(CONVERSATION_MESSAGES.CONTENT, "x").execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("23514"));

        assertThat(row(c.id())).isEqualTo(before);
        assertThat(messageRows(c.id())).isEqualTo(1);
    }

    @Test
    void badConversationInputIsRefused() {
        String customer = Fixtures.newCustomer(fx.honua());
        int before = dsl.fetchCount(CONVERSATIONS);
        assertThatThrownBy(() -> conversations.start(null)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewConversation.builder(customer, "").build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> NewConversation.builder(null, "m").build()).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.start(NewConversation.builder(customer, "m").metadata("{nope").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.start(NewConversation.builder(customer, "m").metadata("[1,2]").build()))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.start(NewConversation.builder("no-such-customer", "m").build()))
                .isInstanceOf(UnknownCustomerException.class);
        assertThat(dsl.fetchCount(CONVERSATIONS)).isEqualTo(before);

        Conversation c = start();
        ConversationsRecord row = row(c.id());
        assertThatThrownBy(() -> conversations.rate(c.id(), 0)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.rate(c.id(), 6)).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.detectIntent(c.id(), " ")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.close(UUID.randomUUID())).isInstanceOf(UnknownConversationException.class);
        assertThatThrownBy(() -> conversations.rate(UUID.randomUUID(), 3)).isInstanceOf(UnknownConversationException.class);
        assertThatThrownBy(() -> conversations.close(null)).isInstanceOf(InvalidRequestException.class);
        assertThat(row(c.id())).isEqualTo(row);
        assertThat(conversations.find(UUID.randomUUID())).isEmpty();
        assertThat(conversations.messages(UUID.randomUUID())).isEmpty();
    }

    @Test
    void expireAbandonsOnlyConversationsInactivePastTheThreshold() {
        Conversation stale = start();
        Conversation staleWithMessages = start();
        conversations.append(staleWithMessages.id(), NewMessage.user("hello"));
        Conversation recent = start();
        Conversation justInside = start();
        Conversation staleButClosed = start();
        conversations.close(staleButClosed.id());
        Instant now = dsl.select(DSL.currentInstant()).fetchSingle().value1();
        idleSince(stale.id(), now.minus(Duration.ofHours(30)));
        idleSince(staleWithMessages.id(), now.minus(Duration.ofHours(25)));
        idleSince(recent.id(), now.minus(Duration.ofHours(2)));
        idleSince(justInside.id(), now.minus(Duration.ofHours(23).plusMinutes(50)));
        idleSince(staleButClosed.id(), now.minus(Duration.ofHours(48)));
        ConversationsRecord closedBefore = row(staleButClosed.id());

        int expired = conversations.expireInactive(Duration.ofHours(24));

        assertThat(expired).isEqualTo(2);
        assertThat(conversations.find(stale.id()).orElseThrow().status()).isEqualTo(ConversationStatus.ABANDONED);
        assertThat(conversations.find(stale.id()).orElseThrow().endedAt()).isPresent();
        assertThat(conversations.find(staleWithMessages.id()).orElseThrow().status()).isEqualTo(ConversationStatus.ABANDONED);
        assertThat(conversations.find(recent.id()).orElseThrow().status()).isEqualTo(ConversationStatus.ACTIVE);
        assertThat(conversations.find(justInside.id()).orElseThrow().status()).isEqualTo(ConversationStatus.ACTIVE);
        assertThat(row(staleButClosed.id())).isEqualTo(closedBefore);
        // abandoned conversations take no more messages; a second run finds nothing
        assertThatThrownBy(() -> conversations.append(stale.id(), NewMessage.user("late"))).isInstanceOf(ConversationClosedException.class);
        assertThat(conversations.expireInactive(Duration.ofHours(24))).isZero();

        assertThatThrownBy(() -> conversations.expireInactive(Duration.ofMinutes(90))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.expireInactive(Duration.ofHours(-1))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> conversations.expireInactive(null)).isInstanceOf(InvalidRequestException.class);
    }

    private static void idleSince(UUID id, Instant lastActivity) {
        dsl.update(CONVERSATIONS).set(CONVERSATIONS.LAST_ACTIVITY_AT, lastActivity).where(CONVERSATIONS.ID.eq(id)).execute();
    }

    @Test
    void messagesArePagedInAppendOrder() {
        Conversation c = start();
        for (int i = 0; i < 7; i++) {
            conversations.append(c.id(), NewMessage.user("m" + i));
        }
        java.util.List<String> seen = new java.util.ArrayList<>();
        long after = 0;
        java.util.List<Message> page;
        while (!(page = conversations.messages(c.id(), after, 3)).isEmpty()) {
            assertThat(page.size()).isLessThanOrEqualTo(3);
            page.forEach(m -> seen.add(m.content()));
            after = page.getLast().id();
        }
        assertThat(seen).containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6");
        assertThatThrownBy(() -> conversations.messages(c.id(), 0, 0)).isInstanceOf(InvalidRequestException.class);
    }

    /** The guard and stats triggers live on the partitioned parent, so partitions created later (upkeep) have them too. */
    @Test
    void partitionsCreatedLaterAreGuardedToo() {
        assertThat(dsl.fetchValue("SELECT relkind::text FROM pg_class WHERE relname = 'conversation_messages'")).isEqualTo("p");
        dsl.execute("CREATE TABLE conversation_messages_2099_01 PARTITION OF conversation_messages "
                + "FOR VALUES FROM ('2099-01-01 00:00:00+00') TO ('2099-02-01 00:00:00+00')");
        Instant future = Instant.parse("2099-01-15T12:00:00Z");
        Conversation open = start();
        Conversation closed = start();
        conversations.close(closed.id());

        dsl.insertInto(CONVERSATION_MESSAGES).set(CONVERSATION_MESSAGES.CONVERSATION_ID, open.id())
                .set(CONVERSATION_MESSAGES.ROLE, "user").set(CONVERSATION_MESSAGES.CONTENT, "from the future")
                .set(CONVERSATION_MESSAGES.TOKENS, 9).set(CONVERSATION_MESSAGES.CREATED_AT, future).execute();
        assertThat(dsl.fetchValue("SELECT tableoid::regclass::text FROM conversation_messages WHERE conversation_id = ?", open.id()))
                .isEqualTo("conversation_messages_2099_01");
        Conversation after = conversations.find(open.id()).orElseThrow();
        assertThat(after.messageCount()).isEqualTo(1);
        assertThat(after.totalTokens()).isEqualTo(9);
        assertThat(after.lastActivityAt()).isEqualTo(future);

        assertThatThrownBy(() -> dsl.insertInto(CONVERSATION_MESSAGES).set(CONVERSATION_MESSAGES.CONVERSATION_ID, closed.id())
                .set(CONVERSATION_MESSAGES.ROLE, "user").set(CONVERSATION_MESSAGES.CONTENT, "late")
                .set(CONVERSATION_MESSAGES.CREATED_AT, future).execute())
                .isInstanceOfSatisfying(DataAccessException.class, e -> assertThat(e.sqlState()).isEqualTo("HI003"));
        assertThat(messageRows(closed.id())).isZero();
    }
}
