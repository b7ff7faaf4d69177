package io.honua.db.intake;

import java.util.Locale;

/** Life cycle of a conversation: ACTIVE → COMPLETED | ABANDONED | ERROR; the three end states are final (enforced by the database). */
public enum ConversationStatus {
    ACTIVE, COMPLETED, ABANDONED, ERROR;

    /** The value stored in the database. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ConversationStatus fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** True when the conversation takes no more messages and its status cannot change. */
    public boolean isFinal() {
        return this != ACTIVE;
    }
}
