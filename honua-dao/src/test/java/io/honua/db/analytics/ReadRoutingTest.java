package io.honua.db.analytics;

import static io.honua.db.schema.generated.Tables.BUILD_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.honua.db.HonuaDb;
import io.honua.db.queue.NewBuild;
import io.honua.db.testing.Fixtures;
import io.honua.db.testing.HonuaFixture;
import java.util.function.Consumer;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two databases stand for primary and replica: what analytics report can only have come from the data source that
 * holds it. A third pool on the primary's database with its own application_name shows the connection identity.
 */
class ReadRoutingTest {

    @RegisterExtension
    static final HonuaFixture primaryDb = HonuaFixture.unpooled().withNamedPool("honua-primary", 2, applicationName("honua-primary"));

    @RegisterExtension
    static final HonuaFixture replicaDb = HonuaFixture.unpooled().withNamedPool("honua-replica", 2, applicationName("honua-replica"));

    static HikariDataSource primary;
    static HikariDataSource replica;

    static Consumer<HikariConfig> applicationName(String name) {
        return config -> config.addDataSourceProperty("ApplicationName", name);
    }

    @BeforeAll
    static void setUp() {
        primary = primaryDb.pool("honua-primary");
        replica = replicaDb.pool("honua-replica");
    }

    @Test
    void analyticsReadTheReplicaWritesGoToThePrimary() {
        HonuaDb honua = HonuaDb.builder(primary).analyticsDataSource(replica).build();
        assertThat(honua.analyticsDataSource()).isSameAs(replica);
        assertThat(honua.dataSource()).isSameAs(primary);

        // a write through the library lands on the primary only
        String c = Fixtures.customer(honua.dsl(), "routed");
        honua.buildQueue().enqueue(NewBuild.builder(c).build());
        assertThat(DSL.using(primary, org.jooq.SQLDialect.POSTGRES).fetchCount(BUILD_QUEUE)).isEqualTo(1);
        assertThat(DSL.using(replica, org.jooq.SQLDialect.POSTGRES).fetchCount(BUILD_QUEUE)).isZero();

        // analytics answer from the replica: it sees no queued build and no customer "routed"
        assertThat(honua.analytics().queueDepth().queued()).isZero();
        assertThat(honua.analytics().customerBuildUsage(c)).isEmpty();

        // data only the replica holds is what analytics report
        Fixtures.customer(DSL.using(replica, org.jooq.SQLDialect.POSTGRES), "replica-only");
        assertThat(honua.analytics().customerBuildUsage()).extracting(CustomerBuildUsage::customerId)
                .containsExactly("replica-only");
        assertThat(honua.buildQueue().queuedCount()).isEqualTo(1);

        // and the connections say who they are
        String app = "current_setting('application_name')";
        assertThat(honua.analyticsDsl().fetchValue(DSL.field(app, String.class))).isEqualTo("honua-replica");
        assertThat(honua.dsl().fetchValue(DSL.field(app, String.class))).isEqualTo("honua-primary");
    }

    @Test
    void withoutAReplicaAnalyticsUseThePrimary() {
        HonuaDb honua = HonuaDb.builder(primary).build();
        assertThat(honua.analyticsDataSource()).isSameAs(primary);
        assertThat(honua.analyticsDsl()).isSameAs(honua.dsl());
        assertThat(HonuaDb.create(primary).analyticsDataSource()).isSameAs(primary);
        assertThat(honua.analyticsDsl().fetchValue(DSL.field("current_setting('application_name')", String.class)))
                .isEqualTo("honua-primary");
    }
}
