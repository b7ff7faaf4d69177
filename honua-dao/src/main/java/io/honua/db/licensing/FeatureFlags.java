package io.honua.db.licensing;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A license's feature flags: names (1..100 characters {@code [A-Za-z0-9_.:-]}, at most 200) to booleans, sorted by
 * name. A flag that is absent is disabled. Immutable.
 */
public record FeatureFlags(Map<String, Boolean> asMap) {

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}");
    static final int MAX_FLAGS = 200;

    public FeatureFlags {
        asMap = Collections.unmodifiableMap(new TreeMap<>(checked(asMap).asMap));
    }

    public boolean isEnabled(String flag) {
        return Boolean.TRUE.equals(asMap.get(flag));
    }

    public static FeatureFlags none() {
        return new FeatureFlags(Map.of());
    }

    /** Validates names and values; throws {@link InvalidRequestException} on a bad one. */
    static Checked checked(Map<String, Boolean> flags) {
        Checks.notNull(flags, "featureFlags");
        if (flags.size() > MAX_FLAGS) {
            throw new InvalidRequestException("at most " + MAX_FLAGS + " feature flags, got " + flags.size());
        }
        Map<String, Boolean> copy = new TreeMap<>();
        flags.forEach((k, v) -> {
            if (k == null || !NAME.matcher(k).matches()) {
                throw new InvalidRequestException("feature flag names are 1..100 characters [A-Za-z0-9_.:-], got " + k);
            }
            copy.put(k, Checks.notNull(v, "feature flag " + k));
        });
        return new Checked(copy);
    }

    record Checked(Map<String, Boolean> asMap) {
    }
}
