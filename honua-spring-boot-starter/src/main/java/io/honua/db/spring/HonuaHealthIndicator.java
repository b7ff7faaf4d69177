package io.honua.db.spring;

import io.honua.db.HonuaDb;
import io.honua.db.analytics.QueueDepth;
import io.honua.db.schema.HonuaMigrations;
import java.util.Optional;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the Honua database, the {@code honua} component of the health endpoint: UP with the schema version and
 * the queue backlog ({@code queued}, {@code ready}, {@code building}, {@code oldestQueuedAgeSeconds}) when the
 * database answers and is migrated; DOWN when it cannot be reached (with the error) or has no Honua schema.
 * Reads two statements per check.
 */
public final class HonuaHealthIndicator extends AbstractHealthIndicator {

    private final HonuaDb honua;
    private final HonuaMigrations migrations;

    public HonuaHealthIndicator(HonuaDb honua) {
        super("Honua database health check failed");
        this.honua = honua;
        this.migrations = HonuaMigrations.forDataSource(honua.dataSource());
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Optional<String> version = migrations.currentVersion(); // throws when the database cannot be reached
        if (version.isEmpty()) {
            builder.down().withDetail("schemaVersion", "none").withDetail("reason", "the Honua schema is not migrated");
            return;
        }
        QueueDepth depth = honua.analytics().queueDepth();
        builder.up()
                .withDetail("schemaVersion", version.get())
                .withDetail("queued", depth.queued())
                .withDetail("ready", depth.ready())
                .withDetail("building", depth.building())
                .withDetail("oldestQueuedAgeSeconds", depth.oldestQueuedAge().map(d -> d.toMillis() / 1000.0).orElse(0.0));
    }
}
