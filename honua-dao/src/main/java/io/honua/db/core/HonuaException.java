package io.honua.db.core;

import java.util.Optional;
import java.util.UUID;

/**
 * Base of every exception Honua DB throws on purpose. Unchecked; the subtype says what went wrong.
 *
 * <p>Where the library knows which customer or build a failure concerns (the call named it, or the database reported
 * it), {@link #customerId()} and {@link #buildId()} carry it; otherwise they are empty. The SQLSTATEs the database
 * raises and the subtype each becomes are listed in the catalogue of the (internal) error translator
 * ({@code io.honua.db.internal.SqlState}).
 */
public class HonuaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private String customerId;
    private UUID buildId;

    public HonuaException(String message) {
        super(message);
    }

    public HonuaException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The customer the failure concerns, when known. */
    public Optional<String> customerId() {
        return Optional.ofNullable(customerId);
    }

    /** The build the failure concerns, when known. */
    public Optional<UUID> buildId() {
        return Optional.ofNullable(buildId);
    }

    /**
     * Records the customer the failure concerns; like {@link Throwable#initCause}, meant for the code that creates the
     * exception. A value already set is kept (the first one to know wins); {@code null} is ignored.
     *
     * @return this exception
     */
    public HonuaException initCustomerId(String customerId) {
        if (this.customerId == null) {
            this.customerId = customerId;
        }
        return this;
    }

    /**
     * Records the build the failure concerns; like {@link Throwable#initCause}, meant for the code that creates the
     * exception. A value already set is kept; {@code null} is ignored.
     *
     * @return this exception
     */
    public HonuaException initBuildId(UUID buildId) {
        if (this.buildId == null) {
            this.buildId = buildId;
        }
        return this;
    }
}
