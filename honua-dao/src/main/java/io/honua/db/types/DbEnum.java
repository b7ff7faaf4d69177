package io.honua.db.types;

import java.util.Locale;

/**
 * An enum whose constants are stored in one text column as a fixed literal. Every enum of the API that maps a column
 * implements it; the DAOs read and write such columns through one generic jOOQ converter keyed on {@link #dbValue()},
 * so no enum hand-writes its own parsing. Guarantees: {@code dbValue()} is stable (it is what the database's CHECK
 * constraints accept) and distinct for the constants of one enum.
 */
public interface DbEnum {

    /** The constant's name (implemented by every enum). */
    String name();

    /** The literal stored in the database: by default the lower-case constant name. */
    default String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
