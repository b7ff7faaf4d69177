package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.intake.Conversations;
import io.honua.db.intake.Message;
import io.honua.db.intake.MessageRole;
import io.honua.db.intake.NewConversation;
import io.honua.db.intake.NewMessage;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Append one message with tokens, cost and a function-call payload to an active conversation
 * ({@code Conversations.append}: INSERT … RETURNING, with the guard and stats triggers), library vs the same INSERT
 * through a JDBC PreparedStatement reading the same columns back. Each side appends to a conversation of its own.
 * Every append rewrites its conversation's row (the totals trigger; {@code last_activity_at} is indexed, so the
 * update is not HOT): each iteration starts after a VACUUM of {@code conversations} and {@code conversation_messages}
 * (which also empties the GIN pending list of {@code function_call}), so the side measured second ({@code append_lib},
 * JMH runs them in name order) does not also pay for what the first one left.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AppendBenchmark {

    static final String CUSTOMER = "bench-intake";
    static final String PAYLOAD = "{\"name\": \"inspect_repo\", \"arguments\": {\"path\": \"pom.xml\", \"depth\": 2}}";
    static final String INSERT = "INSERT INTO conversation_messages (conversation_id, role, content, prompt_tokens, completion_tokens, "
            + "tokens, cost_usd, function_name, function_call) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb) "
            + "RETURNING id, conversation_id, role, content, prompt_tokens, completion_tokens, tokens, cost_usd, function_name, "
            + "function_call, created_at";

    /** What the baseline reads back: the same columns the library maps. */
    public record Row(long id, UUID conversationId, String role, String content, int prompt, int completion, int tokens,
            BigDecimal cost, String functionName, String functionCall, OffsetDateTime createdAt) {
    }

    private HikariDataSource ds;
    private Conversations conversations;
    private UUID libConversation;
    private UUID jdbcConversation;
    private NewMessage message;

    @Setup(Level.Trial)
    public void setUp() {
        ds = BenchState.pool(4);
        BenchState.exec(ds, "INSERT INTO customers (customer_id, name, subscription_status, tier) "
                + "VALUES ('" + CUSTOMER + "', 'Bench intake', 'active', 'professional') ON CONFLICT DO NOTHING");
        conversations = HonuaDb.create(ds).intake().conversations();
        libConversation = conversations.start(NewConversation.builder(CUSTOMER, "bench-model").build()).id();
        jdbcConversation = conversations.start(NewConversation.builder(CUSTOMER, "bench-model").build()).id();
        message = NewMessage.builder(MessageRole.ASSISTANT, "Let me look at your build file.").tokens(120, 40)
                .cost(new BigDecimal("0.001250")).functionCall("inspect_repo", PAYLOAD).build();
    }

    @Setup(Level.Iteration)
    public void vacuum() {
        BenchState.exec(ds, "VACUUM conversations, conversation_messages");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ds.close();
    }

    @Benchmark
    public Message append_lib() {
        return conversations.append(libConversation, message);
    }

    @Benchmark
    public Row append_jdbc() throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setObject(1, jdbcConversation);
            ps.setString(2, "assistant");
            ps.setString(3, message.content());
            ps.setInt(4, message.promptTokens());
            ps.setInt(5, message.completionTokens());
            ps.setInt(6, message.tokens());
            ps.setBigDecimal(7, message.costUsd());
            ps.setString(8, "inspect_repo");
            ps.setString(9, PAYLOAD);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Row(rs.getLong(1), rs.getObject(2, UUID.class), rs.getString(3), rs.getString(4), rs.getInt(5),
                        rs.getInt(6), rs.getInt(7), rs.getBigDecimal(8), rs.getString(9), rs.getString(10),
                        rs.getObject(11, OffsetDateTime.class));
            }
        }
    }
}
