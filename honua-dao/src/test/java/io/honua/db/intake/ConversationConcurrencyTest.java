package io.honua.db.intake;

import static io.honua.db.schema.generated.Tables.CONVERSATION_MESSAGES;
import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.Record5;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ConversationConcurrencyTest {

    static final int THREADS = 8;

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.withPool(THREADS + 2);

    static Conversations conversations;

    @BeforeAll
    static void setUp() {
        conversations = fx.honua().intake().conversations();
    }

    /** What one thread sent: its own sums, to compare with the database's. */
    record Sent(int messages, long prompt, long completion, long total, BigDecimal cost) {
    }

    @Test
    void eightThreadsAppendingToOneConversationKeepStatsExact() throws Exception {
        Conversation c = conversations.start(NewConversation.builder(Fixtures.newCustomer(fx.honua()), "gpt-concurrent").build());
        int perThread = 250;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Sent>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    long prompt = 0;
                    long completion = 0;
                    long total = 0;
                    BigDecimal cost = BigDecimal.ZERO;
                    for (int i = 0; i < perThread; i++) {
                        int p = rnd.nextInt(0, 2000);
                        int k = rnd.nextInt(0, 2000);
                        BigDecimal usd = BigDecimal.valueOf(rnd.nextLong(0, 50_000), 6);
                        MessageRole role = i % 2 == 0 ? MessageRole.USER : MessageRole.ASSISTANT;
                        Message m = conversations.append(c.id(), NewMessage.builder(role, "m" + i).tokens(p, k).cost(usd).build());
                        prompt += p;
                        completion += k;
                        total += m.tokens();
                        cost = cost.add(usd);
                    }
                    return new Sent(perThread, prompt, completion, total, cost);
                }));
            }
            go.countDown();
        }
        long prompt = 0;
        long completion = 0;
        long total = 0;
        BigDecimal cost = BigDecimal.ZERO;
        for (Future<Sent> f : futures) {
            Sent s = f.get();
            prompt += s.prompt();
            completion += s.completion();
            total += s.total();
            cost = cost.add(s.cost());
        }

        Conversation after = conversations.find(c.id()).orElseThrow();
        // against what the threads sent
        assertThat(after.messageCount()).isEqualTo(THREADS * perThread);
        assertThat(after.promptTokens()).isEqualTo(prompt);
        assertThat(after.completionTokens()).isEqualTo(completion);
        assertThat(after.totalTokens()).isEqualTo(total);
        assertThat(after.totalCostUsd()).isEqualByComparingTo(cost);
        // and against the stored messages themselves
        Record5<Integer, BigDecimal, BigDecimal, BigDecimal, BigDecimal> sums = fx.dsl()
                .select(DSL.count(), DSL.sum(CONVERSATION_MESSAGES.PROMPT_TOKENS), DSL.sum(CONVERSATION_MESSAGES.COMPLETION_TOKENS),
                        DSL.sum(CONVERSATION_MESSAGES.TOKENS), DSL.sum(CONVERSATION_MESSAGES.COST_USD))
                .from(CONVERSATION_MESSAGES).where(CONVERSATION_MESSAGES.CONVERSATION_ID.eq(c.id())).fetchSingle();
        assertThat(sums.value1()).isEqualTo(after.messageCount());
        assertThat(sums.value2().longValueExact()).isEqualTo(after.promptTokens());
        assertThat(sums.value3().longValueExact()).isEqualTo(after.completionTokens());
        assertThat(sums.value4().longValueExact()).isEqualTo(after.totalTokens());
        assertThat(sums.value5()).isEqualByComparingTo(after.totalCostUsd());
    }

    @Test
    void closeRacingAppendsLetsNoMessageInAfterwardsAndKeepsStatsExact() throws Exception {
        for (int round = 0; round < 5; round++) {
            Conversation c = conversations.start(NewConversation.builder(Fixtures.newCustomer(fx.honua()), "gpt-race").build());
            Set<Long> accepted = ConcurrentHashMap.newKeySet();
            AtomicInteger refused = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            try (ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
                for (int t = 0; t < THREADS; t++) {
                    pool.submit(() -> {
                        go.await();
                        while (true) {
                            try {
                                accepted.add(conversations.append(c.id(), NewMessage.builder(MessageRole.USER, "x").tokens(3, 4).build()).id());
                            } catch (ConversationClosedException e) {
                                refused.incrementAndGet();
                                return null;
                            }
                        }
                    });
                }
                go.countDown();
                // let appends flow, then close while they are running
                while (accepted.size() < 50) {
                    Thread.onSpinWait();
                }
                conversations.close(c.id());
            }
            Conversation after = conversations.find(c.id()).orElseThrow();
            List<Long> stored = fx.dsl().select(CONVERSATION_MESSAGES.ID).from(CONVERSATION_MESSAGES)
                    .where(CONVERSATION_MESSAGES.CONVERSATION_ID.eq(c.id())).fetch(CONVERSATION_MESSAGES.ID);
            assertThat(after.status()).isEqualTo(ConversationStatus.COMPLETED);
            assertThat(refused.get()).isEqualTo(THREADS);
            assertThat(stored).containsExactlyInAnyOrderElementsOf(accepted);
            assertThat(after.messageCount()).isEqualTo(accepted.size());
            assertThat(after.totalTokens()).isEqualTo(7L * accepted.size());
            // and none gets in afterwards
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> conversations.append(c.id(), NewMessage.user("late")))
                    .isInstanceOf(ConversationClosedException.class);
        }
    }

    /**
     * The exact interleaving that would let a message into a closed conversation: the close is in flight (row updated,
     * not committed) when an append starts. The append must wait for the close and then be refused.
     */
    @Test
    void appendWaitingBehindAnUncommittedCloseIsRefusedAfterItCommits() throws Exception {
        Conversation c = conversations.start(NewConversation.builder(Fixtures.newCustomer(fx.honua()), "gpt-interleave").build());
        conversations.append(c.id(), NewMessage.user("before"));
        try (java.sql.Connection closing = fx.pool().getConnection(); ExecutorService appender = Executors.newSingleThreadExecutor()) {
            closing.setAutoCommit(false);
            DSL.using(closing, org.jooq.SQLDialect.POSTGRES).update(io.honua.db.schema.generated.Tables.CONVERSATIONS)
                    .set(io.honua.db.schema.generated.Tables.CONVERSATIONS.STATUS, "completed")
                    .where(io.honua.db.schema.generated.Tables.CONVERSATIONS.ID.eq(c.id())).execute();
            Future<Message> append = appender.submit(() -> conversations.append(c.id(), NewMessage.user("racing the close")));
            // wait until the append is blocked on the conversation's row lock (or has already finished)
            while (!append.isDone() && fx.dsl().fetchCount(DSL.selectOne().from(DSL.table("pg_stat_activity"))
                    .where(DSL.field("wait_event_type").eq("Lock")).and(DSL.field("datname").eq(DSL.currentCatalog()))) == 0) {
                Thread.onSpinWait();
            }
            closing.commit();
            org.assertj.core.api.Assertions.assertThatThrownBy(append::get)
                    .hasCauseInstanceOf(ConversationClosedException.class);
        }
        Conversation after = conversations.find(c.id()).orElseThrow();
        assertThat(after.status()).isEqualTo(ConversationStatus.COMPLETED);
        assertThat(after.messageCount()).isEqualTo(1);
        assertThat(conversations.messages(c.id())).extracting(Message::content).containsExactly("before");
    }
}
