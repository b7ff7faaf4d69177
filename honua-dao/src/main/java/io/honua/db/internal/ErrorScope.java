package io.honua.db.internal;

import java.util.Optional;
import java.util.UUID;

/**
 * What a failed database call was about: its {@link Capability}, an optional label for messages, and the customer or
 * build it concerned when the caller knows it (copied into {@link io.honua.db.core.HonuaException#customerId()} and
 * {@link io.honua.db.core.HonuaException#buildId()}). Immutable.
 */
public record ErrorScope(Capability capability, String what, Optional<String> customerId, Optional<UUID> buildId) {

    public ErrorScope {
        java.util.Objects.requireNonNull(capability, "capability");
        java.util.Objects.requireNonNull(what, "what");
        java.util.Objects.requireNonNull(customerId, "customerId");
        java.util.Objects.requireNonNull(buildId, "buildId");
    }

    /** A call of this capability about nothing in particular. */
    public static ErrorScope of(Capability capability) {
        return new ErrorScope(capability, capability.label(), Optional.empty(), Optional.empty());
    }

    /** The same scope with another message label. */
    public ErrorScope what(String label) {
        return new ErrorScope(capability, label, customerId, buildId);
    }

    /** The same scope about this customer ({@code null}: unknown). */
    public ErrorScope customer(String id) {
        return new ErrorScope(capability, what, Optional.ofNullable(id), buildId);
    }

    /** The same scope about this build ({@code null}: unknown). */
    public ErrorScope build(UUID id) {
        return new ErrorScope(capability, what, customerId, Optional.ofNullable(id));
    }
}
