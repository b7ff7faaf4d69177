package io.honua.db.intake;


import io.honua.db.types.DbEnum;

/** Life cycle of a conversation: ACTIVE → COMPLETED | ABANDONED | ERROR; the three end states are final (enforced by the database). */
public enum ConversationStatus implements DbEnum {
    ACTIVE, COMPLETED, ABANDONED, ERROR;

    /** True when the conversation takes no more messages and its status cannot change. */
    public boolean isFinal() {
        return this != ACTIVE;
    }
}
