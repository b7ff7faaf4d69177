package io.honua.db.partitions;

import static org.assertj.core.api.Assertions.assertThat;

import io.honua.db.testing.HonuaFixture;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Partitions carry the seed's autovacuum settings: the existing ones by V15, new ones from maintain_partitions(). */
class PartitionAutovacuumTest {

    @RegisterExtension
    static final HonuaFixture fx = HonuaFixture.unpooled();

    @Test
    void freshPartitionsTakeTheSeedsAutovacuumSettings() {
        DSLContext dsl = DSL.using(fx.db().dataSource(), SQLDialect.POSTGRES);
        // the DEFAULT partitions of all four log tables carry the seed's setting (build_metrics' since V15)
        assertThat(dsl.resultQuery("SELECT relname FROM pg_class WHERE relname IN "
                + "('build_access_log_default', 'build_events_default', 'conversation_messages_default', 'build_metrics_default') "
                + "AND reloptions @> ARRAY['autovacuum_vacuum_scale_factor=0.05']").fetch(0, String.class)).hasSize(4);

        OffsetDateTime now = OffsetDateTime.of(2031, 3, 14, 12, 0, 0, 0, ZoneOffset.UTC);
        List<String> created = dsl.resultQuery("SELECT partition_name FROM maintain_partitions(?::timestamptz) WHERE action = 'created'", now)
                .fetch(0, String.class);
        assertThat(created).contains("build_access_log_y2031m03", "build_events_y2031m03", "conversation_messages_y2031m03",
                "build_metrics_y2031m03d14", "build_metrics_y2031m03d21");
        List<String> without = dsl.resultQuery("SELECT c.relname FROM pg_class c WHERE c.relname = ANY(?) "
                + "AND NOT coalesce(c.reloptions, '{}') @> ARRAY['autovacuum_vacuum_scale_factor=0.05']", (Object) created.toArray(String[]::new))
                .fetch(0, String.class);
        assertThat(without).isEmpty();
    }
}
