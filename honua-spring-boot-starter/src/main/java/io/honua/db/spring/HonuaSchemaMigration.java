package io.honua.db.spring;

import io.honua.db.schema.HonuaMigrations;
import io.honua.db.schema.MigrationReport;
import java.util.Objects;
import javax.sql.DataSource;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.InitializingBean;

/**
 * Applies the Honua schema migrations when the context starts, before the {@link io.honua.db.HonuaDb} bean is
 * created (it depends on this bean). Present unless {@code honua.migrations.enabled=false}. A failed migration fails
 * the start-up with its {@link io.honua.db.schema.MigrationException}.
 */
public final class HonuaSchemaMigration implements InitializingBean {

    private static final Log LOG = LogFactory.getLog(HonuaSchemaMigration.class);

    private final HonuaMigrations migrations;
    private volatile MigrationReport report;

    public HonuaSchemaMigration(DataSource dataSource) {
        this.migrations = HonuaMigrations.forDataSource(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public void afterPropertiesSet() {
        migrations.validateConnection();
        MigrationReport r = migrations.migrate();
        report = r;
        LOG.info("Honua schema at version " + r.currentVersion().orElse("none") + " (" + r.applied().size() + " migrations applied)");
    }

    /** What the start-up applied. */
    public MigrationReport report() {
        return report;
    }
}
