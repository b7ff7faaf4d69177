package io.honua.db.apikeys;

import java.util.Optional;

/** Result of verifying a presented API key; {@code apiKey} is present unless the verdict is UNKNOWN. */
public record ApiKeyCheck(Verdict verdict, Optional<ApiKey> apiKey) {

    /** What a presented key is worth. */
    public enum Verdict {
        /** Known, not revoked, not expired; its last-used time was just updated. */
        VALID,
        /** Known and revoked. */
        REVOKED,
        /** Known and past its expiry. */
        EXPIRED,
        /** No key has this value. */
        UNKNOWN
    }

    public boolean valid() {
        return verdict == Verdict.VALID;
    }
}
