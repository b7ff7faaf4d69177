package io.honua.db.intake;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * A message to append. Build with {@link #builder(MessageRole, String)}; values are checked on construction
 * ({@link InvalidRequestException}): tokens and cost not negative, content at most 1,000,000 characters, a
 * {@link MessageRole#FUNCTION} message names its function. The JSON payload is checked by the database.
 *
 * @param tokens total tokens of the message: {@code promptTokens + completionTokens} unless set explicitly
 */
public record NewMessage(
        MessageRole role,
        String content,
        int promptTokens,
        int completionTokens,
        int tokens,
        BigDecimal costUsd,
        Optional<String> functionName,
        Optional<String> functionCallJson) {

    static final int MAX_CONTENT = 1_000_000;

    public NewMessage {
        Checks.notNull(role, "role");
        Checks.notNull(content, "content");
        if (content.length() > MAX_CONTENT) {
            throw new InvalidRequestException("content must be at most " + MAX_CONTENT + " characters, got " + content.length());
        }
        Checks.range(promptTokens, 0, Integer.MAX_VALUE, "promptTokens");
        Checks.range(completionTokens, 0, Integer.MAX_VALUE, "completionTokens");
        Checks.range(tokens, 0, Integer.MAX_VALUE, "tokens");
        Checks.notNull(costUsd, "costUsd");
        if (costUsd.signum() < 0 || costUsd.scale() > 6 || costUsd.precision() - costUsd.scale() > 6) {
            throw new InvalidRequestException("costUsd must be 0 <= cost < 1,000,000 with at most 6 decimals, got " + costUsd);
        }
        Checks.notNull(functionName, "functionName").ifPresent(n -> Checks.text(n, "functionName", 200));
        Checks.notNull(functionCallJson, "functionCallJson");
        if (role == MessageRole.FUNCTION && functionName.isEmpty()) {
            throw new InvalidRequestException("a FUNCTION message needs a functionName");
        }
    }

    public static Builder builder(MessageRole role, String content) {
        return new Builder(role, content);
    }

    /** A builder for a role given as text ("user", "assistant", "system", "function"); an unknown role is refused. */
    public static Builder builder(String role, String content) {
        return new Builder(MessageRole.parse(role), content);
    }

    /** Shorthand for a USER message without token accounting. */
    public static NewMessage user(String content) {
        return builder(MessageRole.USER, content).build();
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private final MessageRole role;
        private final String content;
        private int promptTokens;
        private int completionTokens;
        private Integer tokens;
        private BigDecimal costUsd = BigDecimal.ZERO;
        private String functionName;
        private String functionCallJson;

        private Builder(MessageRole role, String content) {
            this.role = role;
            this.content = content;
        }

        /** Prompt and completion tokens; the message's total is their sum unless {@link #tokens(int)} is set. */
        public Builder tokens(int promptTokens, int completionTokens) {
            this.promptTokens = promptTokens;
            this.completionTokens = completionTokens;
            return this;
        }

        /** Total tokens of the message (default: prompt + completion). */
        public Builder tokens(int total) {
            this.tokens = total;
            return this;
        }

        public Builder cost(BigDecimal usd) {
            this.costUsd = Checks.notNull(usd, "costUsd");
            return this;
        }

        /** A tool/function call: its name and its JSON payload (object or array). */
        public Builder functionCall(String name, String payloadJson) {
            this.functionName = Checks.notNull(name, "functionName");
            this.functionCallJson = Checks.notNull(payloadJson, "functionCallJson");
            return this;
        }

        /** The name of the function whose result this message is (FUNCTION messages). */
        public Builder functionName(String name) {
            this.functionName = Checks.notNull(name, "functionName");
            return this;
        }

        public NewMessage build() {
            long sum = (long) promptTokens + completionTokens;
            int total = tokens != null ? tokens : (int) Math.min(Integer.MAX_VALUE, Math.max(sum, 0));
            return new NewMessage(role, content, promptTokens, completionTokens, total, costUsd,
                    Optional.ofNullable(functionName), Optional.ofNullable(functionCallJson));
        }
    }
}
