package io.honua.db.intake;

import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.DbEnum;

/** Author of a conversation message. FUNCTION messages carry a function name (the result of a tool/function call). */
public enum MessageRole implements DbEnum {
    USER, ASSISTANT, SYSTEM, FUNCTION;

    /**
     * The role named by {@code value} as LLM APIs spell it ("user", "assistant", "system", "function"; case-insensitive).
     *
     * @throws InvalidRequestException for null or any other value
     */
    public static MessageRole parse(String value) {
        if (value != null) {
            for (MessageRole r : values()) {
                if (r.name().equalsIgnoreCase(value.strip())) {
                    return r;
                }
            }
        }
        throw new InvalidRequestException("unknown message role " + value + "; expected user, assistant, system or function");
    }
}
