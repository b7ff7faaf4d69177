package io.honua.db.internal;

import io.honua.db.core.HonuaException;
import io.honua.db.types.DbEnum;
import java.util.HashMap;
import java.util.Map;
import org.jooq.impl.AbstractConverter;

/**
 * The one jOOQ converter between a text column and a {@link DbEnum}, keyed on {@link DbEnum#dbValue()}. One instance
 * per enum class (cached); thread-safe. {@code null} maps to {@code null}; a database literal the enum does not know
 * is a schema/library mismatch and raises {@link HonuaException}.
 */
public final class DbEnumConverter<E extends Enum<E> & DbEnum> extends AbstractConverter<String, E> {

    private static final ClassValue<DbEnumConverter<?>> CACHE = new ClassValue<>() {
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        protected DbEnumConverter<?> computeValue(Class<?> type) {
            return new DbEnumConverter(type);
        }
    };

    private final Map<String, E> byLiteral = new HashMap<>();

    private DbEnumConverter(Class<E> type) {
        super(String.class, type);
        for (E e : type.getEnumConstants()) {
            if (byLiteral.put(e.dbValue(), e) != null) {
                throw new IllegalStateException(type.getName() + ": duplicate database literal " + e.dbValue());
            }
        }
    }

    /** The converter of {@code type}. */
    @SuppressWarnings("unchecked")
    public static <E extends Enum<E> & DbEnum> DbEnumConverter<E> dbEnum(Class<E> type) {
        return (DbEnumConverter<E>) CACHE.get(type);
    }

    @Override
    public E from(String literal) {
        if (literal == null) {
            return null;
        }
        E e = byLiteral.get(literal);
        if (e == null) {
            throw new HonuaException("unknown " + toType().getSimpleName() + " in the database: '" + literal + "'");
        }
        return e;
    }

    @Override
    public String to(E value) {
        return value == null ? null : value.dbValue();
    }
}
