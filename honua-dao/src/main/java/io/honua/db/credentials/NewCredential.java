package io.honua.db.credentials;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import io.honua.db.types.CustomerId;
import java.time.Instant;
import java.util.Optional;

/**
 * A credential to store. {@code secret} (password, token, JSON key) is encrypted before it reaches the database;
 * {@link #toString()} never prints it.
 *
 * @param name      unique per customer, 1..200 characters
 * @param url       1..2000 characters
 * @param username  1..500 characters
 * @param secret    1..65536 characters
 * @param expiresAt absent: does not expire
 */
public record NewCredential(String customerId, RegistryType type, String name, String url, String username, String secret,
                            Optional<Instant> expiresAt) {

    public static final int MAX_SECRET = 65_536;

    public NewCredential {
        CustomerId.check(customerId);
        Checks.notNull(type, "type");
        Checks.text(name, "name", 200);
        Checks.text(url, "url", 2000);
        Checks.text(username, "username", 500);
        Checks.notNull(secret, "secret");
        if (secret.isEmpty() || secret.length() > MAX_SECRET) {
            throw new InvalidRequestException("secret must be 1.." + MAX_SECRET + " characters, got " + secret.length());
        }
        Checks.notNull(expiresAt, "expiresAt");
    }

    public NewCredential(String customerId, RegistryType type, String name, String url, String username, String secret) {
        this(customerId, type, name, url, username, secret, Optional.empty());
    }

    public NewCredential expiringAt(Instant at) {
        return new NewCredential(customerId, type, name, url, username, secret, Optional.of(Checks.notNull(at, "expiresAt")));
    }

    @Override
    public String toString() {
        return "NewCredential[customerId=" + customerId + ", type=" + type + ", name=" + name + ", url=" + url
                + ", username=" + username + ", secret=<redacted>, expiresAt=" + expiresAt + "]";
    }
}
