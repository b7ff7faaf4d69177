package io.honua.db.spring;

import io.honua.db.HonuaDb;

/**
 * Callback to adjust the {@link HonuaDb.Builder} of the auto-configured {@link HonuaDb} (e.g. an analytics replica);
 * every bean of this type is applied, in {@link org.springframework.core.annotation.Order order}.
 */
@FunctionalInterface
public interface HonuaDbBuilderCustomizer {

    /** Adjusts {@code builder}; called once, before the HonuaDb is built. */
    void customize(HonuaDb.Builder builder);
}
