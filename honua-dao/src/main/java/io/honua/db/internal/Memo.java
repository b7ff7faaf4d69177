package io.honua.db.internal;

import java.util.Objects;
import java.util.function.Supplier;

/** A value made on first use, at most once (thread-safe); what the maker throws passes through and it is tried again. */
public final class Memo<T> implements Supplier<T> {

    private final Supplier<T> make;
    private volatile T value;

    private Memo(Supplier<T> make) {
        this.make = make;
    }

    public static <T> Memo<T> of(Supplier<T> make) {
        return new Memo<>(Objects.requireNonNull(make, "make"));
    }

    @Override
    public T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    value = v = Objects.requireNonNull(make.get(), "made");
                }
            }
        }
        return v;
    }
}
