package io.honua.db.internal;

import io.honua.db.core.InvalidRequestException;
import java.time.Duration;
import java.util.Collection;
import java.util.Objects;

/** Argument checks that throw {@link InvalidRequestException}; shared by the DAOs. */
public final class Checks {

    private Checks() {
    }

    public static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new InvalidRequestException(name + " must not be null");
        }
        return value;
    }

    public static String text(String value, String name, int maxLength) {
        notNull(value, name);
        if (value.isBlank() || value.length() > maxLength) {
            throw new InvalidRequestException(name + " must be 1.." + maxLength + " characters, got " + value.length());
        }
        return value;
    }

    public static int range(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new InvalidRequestException(name + " must be " + min + ".." + max + ", got " + value);
        }
        return value;
    }

    /** A duration that must be longer than zero (no upper bound). */
    public static Duration positive(Duration value, String name) {
        notNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new InvalidRequestException(name + " must be positive, got " + value);
        }
        return value;
    }

    public static <C extends Collection<?>> C noNulls(C values, String name) {
        notNull(values, name);
        if (values.stream().anyMatch(Objects::isNull)) {
            throw new InvalidRequestException(name + " must not contain null");
        }
        return values;
    }
}
