package io.honua.db.apikeys;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.CustomerId;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A key to create.
 *
 * @param name      unique among the customer's unrevoked keys, 1..200 characters
 * @param scopes    at most 50, each 1..64 characters {@code [a-z0-9_.:*-]} starting with a letter
 * @param expiresAt absent: does not expire
 */
public record NewApiKey(String customerId, String name, Set<String> scopes, Optional<Instant> expiresAt) {

    private static final Pattern SCOPE = Pattern.compile("[a-z][a-z0-9_.:*-]{0,63}");

    public NewApiKey {
        CustomerId.check(customerId);
        Checks.text(name, "name", 200);
        Checks.noNulls(scopes, "scopes");
        if (scopes.size() > 50) {
            throw new InvalidRequestException("at most 50 scopes, got " + scopes.size());
        }
        for (String s : scopes) {
            if (!SCOPE.matcher(s).matches()) {
                throw new InvalidRequestException("scopes are 1..64 characters [a-z0-9_.:*-] starting with a letter, got " + s);
            }
        }
        scopes = Set.copyOf(new TreeSet<>(scopes));
        Checks.notNull(expiresAt, "expiresAt");
    }

    public NewApiKey(String customerId, String name, Set<String> scopes) {
        this(customerId, name, scopes, Optional.empty());
    }
}
