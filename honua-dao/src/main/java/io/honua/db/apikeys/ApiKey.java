package io.honua.db.apikeys;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A stored API key, without the key (only its SHA-256 hash is stored). {@code prefix} ({@code hk_xxxxxxxx}) is the
 * non-secret start of the key, for recognising it in lists and logs.
 *
 * @param scopes sorted, distinct
 */
public record ApiKey(UUID id, String customerId, String name, String prefix, List<String> scopes, Instant createdAt,
                     Optional<Instant> lastUsedAt, Optional<Instant> expiresAt, Optional<Instant> revokedAt) {

    public ApiKey {
        scopes = List.copyOf(scopes);
    }

    public boolean revoked() {
        return revokedAt.isPresent();
    }

    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }
}
