package io.honua.db.types;

import io.honua.db.core.InvalidRequestException;
import java.util.regex.Pattern;

/**
 * The one rule for a customer id, applied by every capability (customers, queue, cache, licensing, credentials, API
 * keys, intake, analytics, audit, tenant scopes): 1..100 characters, letters, digits, {@code '.'}, {@code '_'} or
 * {@code '-'}, starting with a letter or digit ({@value #REGEX}). Stateless and thread-safe.
 */
public final class CustomerId {

    /** The rule as a regular expression. */
    public static final String REGEX = "[A-Za-z0-9][A-Za-z0-9._-]{0,99}";

    /** The longest valid id. */
    public static final int MAX_LENGTH = 100;

    private static final Pattern PATTERN = Pattern.compile(REGEX);

    private CustomerId() {
    }

    /** True when {@code customerId} follows the rule ({@code null} does not). */
    public static boolean isValid(String customerId) {
        return customerId != null && PATTERN.matcher(customerId).matches();
    }

    /**
     * Returns {@code customerId} when it follows the rule.
     *
     * @throws InvalidRequestException when it is {@code null} or does not follow the rule (nothing is changed)
     */
    public static String check(String customerId) {
        if (customerId == null) {
            throw new InvalidRequestException("customerId must not be null");
        }
        if (!isValid(customerId)) {
            throw new InvalidRequestException("customerId must be 1..100 letters, digits, '.', '_' or '-' starting with a letter or digit, got '"
                    + (customerId.length() > 120 ? customerId.substring(0, 120) + "…" : customerId) + "'");
        }
        return customerId;
    }
}
