package io.honua.db.credentials;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** An active credential whose last validation failed (the seed's "invalid credentials" health check). */
public record InvalidCredential(UUID id, String customerId, String name, Optional<String> validationError,
                                Optional<Instant> lastValidatedAt) {
}
