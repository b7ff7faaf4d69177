package io.honua.db.intake;

import java.util.Locale;

/** Author of a conversation message. FUNCTION messages carry a function name (the result of a tool/function call). */
public enum MessageRole {
    USER, ASSISTANT, SYSTEM, FUNCTION;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MessageRole fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
