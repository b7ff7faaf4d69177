package io.honua.db.intake;

import static io.honua.db.schema.generated.Tables.CONVERSATIONS;
import static io.honua.db.schema.generated.Tables.CONVERSATION_MESSAGES;
import static io.honua.db.internal.ErrorTranslator.call;

import io.honua.db.internal.ErrorScope;
import io.honua.db.internal.Capability;
import io.honua.db.internal.Checks;
import io.honua.db.internal.Direct;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.schema.generated.Routines;
import io.honua.db.schema.generated.tables.records.ConversationMessagesRecord;
import io.honua.db.schema.generated.tables.records.ConversationsRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

/**
 * Conversations of the AI intake: start, append messages, close / abandon / fail, rate, detect intent, expire.
 *
 * <p>Guarantees, enforced by the database (V9__intake.sql), so they hold across service instances:
 * <ul>
 *   <li><b>Exact totals.</b> Message count, prompt/completion/total tokens and cost of a conversation are kept by
 *       {@code update_conversation_stats} in the same statement as the message insert; concurrent appends to one
 *       conversation are serialized on its row, so the totals always equal the sums over its messages.</li>
 *   <li><b>Lifecycle.</b> ACTIVE → COMPLETED ({@link #close}) | ABANDONED ({@link #abandon}, {@link #expireInactive})
 *       | ERROR ({@link #fail}); end states are final. A message to, or a status change of, a conversation that is not
 *       active raises {@link ConversationClosedException}; a close racing an append is ordered after it.</li>
 *   <li><b>Atomic appends.</b> One message = one statement: it is stored with its totals or not at all.</li>
 *   <li><b>Bad input</b> (null, unknown role, negative tokens, malformed JSON, unknown conversation) raises a subtype
 *       of {@link io.honua.db.core.HonuaException} and changes nothing.</li>
 * </ul>
 * Thread-safe; share one instance.
 */
public final class Conversations {

    private static final ErrorScope ERRORS = ErrorScope.of(Capability.INTAKE);

    private final DSLContext dsl;
    /**
     * The append statement, rendered once from the typed DSL (only its bind values change): rendering an INSERT of
     * nine columns with RETURNING per call costs jOOQ more than the rest of its work on a ~1 ms append.
     */
    private final String appendSql;

    Conversations(DSLContext dsl) {
        this.dsl = Objects.requireNonNull(dsl, "dsl");
        this.appendSql = dsl.render(dsl.insertInto(CONVERSATION_MESSAGES)
                .set(CONVERSATION_MESSAGES.CONVERSATION_ID, (UUID) null)
                .set(CONVERSATION_MESSAGES.ROLE, (String) null)
                .set(CONVERSATION_MESSAGES.CONTENT, (String) null)
                .set(CONVERSATION_MESSAGES.PROMPT_TOKENS, (Integer) null)
                .set(CONVERSATION_MESSAGES.COMPLETION_TOKENS, (Integer) null)
                .set(CONVERSATION_MESSAGES.TOKENS, (Integer) null)
                .set(CONVERSATION_MESSAGES.COST_USD, (java.math.BigDecimal) null)
                .set(CONVERSATION_MESSAGES.FUNCTION_NAME, (String) null)
                .set(CONVERSATION_MESSAGES.FUNCTION_CALL, (JSONB) null)
                .returning());
    }

    /** Starts an ACTIVE conversation. */
    public Conversation start(NewConversation conversation) {
        Checks.notNull(conversation, "conversation");
        return call(ERRORS, () -> Conversation.of(dsl.insertInto(CONVERSATIONS)
                .set(CONVERSATIONS.CUSTOMER_ID, conversation.customerId())
                .set(CONVERSATIONS.MODEL, conversation.model())
                .set(CONVERSATIONS.DETECTED_INTENT, conversation.detectedIntent().orElse(null))
                .set(CONVERSATIONS.METADATA, JSONB.valueOf(conversation.metadataJson()))
                .returning().fetchSingle()));
    }

    /**
     * Appends a message and updates the conversation's totals, atomically (one statement).
     *
     * @throws UnknownConversationException when there is no such conversation
     * @throws ConversationClosedException  when the conversation is not active
     */
    public Message append(UUID conversationId, NewMessage message) {
        Checks.notNull(conversationId, "conversationId");
        Checks.notNull(message, "message");
        if (Direct.applies(dsl)) {
            return call(ERRORS, () -> Direct.query(dsl, appendSql, ps -> {
                ps.setObject(1, conversationId);
                ps.setString(2, message.role().dbValue());
                ps.setString(3, message.content());
                ps.setInt(4, message.promptTokens());
                ps.setInt(5, message.completionTokens());
                ps.setInt(6, message.tokens());
                ps.setBigDecimal(7, message.costUsd());
                ps.setString(8, message.functionName().orElse(null));
                ps.setString(9, message.functionCallJson().orElse(null));
            }, Conversations::appended));
        }
        // typed bind values (DSL.val with the column): nulls bind with the column's type, JSONB as jsonb
        return call(ERRORS, () -> Message.of(dsl.resultQuery(appendSql,
                        DSL.val(conversationId, CONVERSATION_MESSAGES.CONVERSATION_ID),
                        DSL.val(message.role().dbValue(), CONVERSATION_MESSAGES.ROLE),
                        DSL.val(message.content(), CONVERSATION_MESSAGES.CONTENT),
                        DSL.val(message.promptTokens(), CONVERSATION_MESSAGES.PROMPT_TOKENS),
                        DSL.val(message.completionTokens(), CONVERSATION_MESSAGES.COMPLETION_TOKENS),
                        DSL.val(message.tokens(), CONVERSATION_MESSAGES.TOKENS),
                        DSL.val(message.costUsd(), CONVERSATION_MESSAGES.COST_USD),
                        DSL.val(message.functionName().orElse(null), CONVERSATION_MESSAGES.FUNCTION_NAME),
                        DSL.val(message.functionCallJson().map(JSONB::valueOf).orElse(null), CONVERSATION_MESSAGES.FUNCTION_CALL))
                .coerce(CONVERSATION_MESSAGES).fetchSingle()));
    }

    /** The row RETURNING gives back (the columns of {@code conversation_messages} in table order), as a message. */
    private static Message appended(ResultSet rs) throws SQLException {
        if (!rs.next()) {
            throw new SQLException("INSERT ... RETURNING returned no row");
        }
        String functionCall = rs.getString(10);
        OffsetDateTime createdAt = rs.getObject(11, OffsetDateTime.class);
        return Message.of(new ConversationMessagesRecord(rs.getLong(1), rs.getObject(2, UUID.class), rs.getString(3),
                rs.getString(4), rs.getObject(5, Integer.class), rs.getObject(6, Integer.class), rs.getObject(7, Integer.class),
                rs.getBigDecimal(8), rs.getString(9), functionCall == null ? null : JSONB.valueOf(functionCall),
                createdAt == null ? null : createdAt.toInstant()));
    }

    /** Marks the conversation COMPLETED. @throws ConversationClosedException when it is not active */
    public Conversation close(UUID conversationId) {
        return end(conversationId, ConversationStatus.COMPLETED);
    }

    /** Marks the conversation ABANDONED. @throws ConversationClosedException when it is not active */
    public Conversation abandon(UUID conversationId) {
        return end(conversationId, ConversationStatus.ABANDONED);
    }

    /** Marks the conversation ERROR. @throws ConversationClosedException when it is not active */
    public Conversation fail(UUID conversationId) {
        return end(conversationId, ConversationStatus.ERROR);
    }

    private Conversation end(UUID conversationId, ConversationStatus status) {
        Checks.notNull(conversationId, "conversationId");
        // only an active conversation ends; the database also refuses any change out of an end state (HI001)
        return call(ERRORS, () -> dsl.update(CONVERSATIONS).set(CONVERSATIONS.STATUS, status.dbValue())
                .where(CONVERSATIONS.ID.eq(conversationId)).and(CONVERSATIONS.STATUS.eq(ConversationStatus.ACTIVE.dbValue()))
                .returning().fetchOptional())
                .map(Conversation::of)
                .orElseThrow(() -> {
                    Conversation c = find(conversationId)
                            .orElseThrow(() -> new UnknownConversationException("no conversation " + conversationId));
                    return new ConversationClosedException("conversation " + conversationId + " is "
                            + c.status().dbValue() + " and cannot become " + status.dbValue());
                });
    }

    /** Records the user's satisfaction score, 1..5 (also after the conversation ended; a new score replaces the old). */
    public Conversation rate(UUID conversationId, int score) {
        Checks.notNull(conversationId, "conversationId");
        Checks.range(score, 1, 5, "score");
        return update(conversationId, dsl.update(CONVERSATIONS).set(CONVERSATIONS.SATISFACTION_SCORE, (short) score));
    }

    /** Records the detected intent (1..200 characters). */
    public Conversation detectIntent(UUID conversationId, String intent) {
        Checks.notNull(conversationId, "conversationId");
        Checks.text(intent, "intent", 200);
        return update(conversationId, dsl.update(CONVERSATIONS).set(CONVERSATIONS.DETECTED_INTENT, intent));
    }

    private Conversation update(UUID conversationId, org.jooq.UpdateSetMoreStep<ConversationsRecord> update) {
        return call(ERRORS, () -> update.where(CONVERSATIONS.ID.eq(conversationId)).returning().fetchOptional())
                .map(Conversation::of)
                .orElseThrow(() -> new UnknownConversationException("no conversation " + conversationId));
    }

    public Optional<Conversation> find(UUID conversationId) {
        Checks.notNull(conversationId, "conversationId");
        return call(ERRORS, () -> dsl.selectFrom(CONVERSATIONS).where(CONVERSATIONS.ID.eq(conversationId)).fetchOptional()
                .map(Conversation::of));
    }

    /** The conversation's messages in append order. */
    public List<Message> messages(UUID conversationId) {
        Checks.notNull(conversationId, "conversationId");
        return call(ERRORS, () -> dsl.selectFrom(CONVERSATION_MESSAGES).where(CONVERSATION_MESSAGES.CONVERSATION_ID.eq(conversationId))
                .orderBy(CONVERSATION_MESSAGES.ID).fetch(Message::of));
    }

    /**
     * A page of the conversation's messages in append order: those with {@code id > afterId}, at most {@code limit}.
     * Start with {@code afterId = 0}; continue with the last id returned.
     *
     * @param limit 1..10,000
     */
    public List<Message> messages(UUID conversationId, long afterId, int limit) {
        Checks.notNull(conversationId, "conversationId");
        Checks.range(limit, 1, 10_000, "limit");
        return call(ERRORS, () -> dsl.selectFrom(CONVERSATION_MESSAGES).where(CONVERSATION_MESSAGES.CONVERSATION_ID.eq(conversationId))
                .and(CONVERSATION_MESSAGES.ID.gt(afterId)).orderBy(CONVERSATION_MESSAGES.ID).limit(limit).fetch(Message::of));
    }

    /**
     * Abandons every ACTIVE conversation whose last activity is older than {@code inactiveFor}
     * ({@code expire_old_conversations}); others are untouched. Safe to run from many instances at once.
     *
     * @param inactiveFor whole hours, at least 0
     * @return how many conversations were abandoned
     */
    public int expireInactive(Duration inactiveFor) {
        Checks.notNull(inactiveFor, "inactiveFor");
        if (inactiveFor.isNegative() || inactiveFor.toSeconds() % 3600 != 0 || inactiveFor.getNano() != 0
                || inactiveFor.toHours() > Integer.MAX_VALUE) {
            throw new InvalidRequestException("inactiveFor must be a non-negative whole number of hours, got " + inactiveFor);
        }
        Integer n = call(ERRORS, () -> Routines.expireOldConversations(dsl.configuration(), (int) inactiveFor.toHours()));
        return n == null ? 0 : n;
    }
}
