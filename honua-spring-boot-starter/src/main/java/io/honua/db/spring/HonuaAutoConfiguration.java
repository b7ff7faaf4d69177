package io.honua.db.spring;

import io.honua.db.HonuaDb;
import io.honua.db.cache.CacheAccessRecorder;
import io.honua.db.micrometer.HonuaMeters;
import io.honua.db.micrometer.QueueTimings;
import io.honua.db.queue.BuildHandler;
import io.honua.db.queue.QueueOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of Honua DB over the application's {@link DataSource}:
 * <ul>
 *   <li>{@link HonuaSchemaMigration}: the schema migrations, applied on start-up unless
 *       {@code honua.migrations.enabled=false};</li>
 *   <li>{@link HonuaDb}, built after the migrations, with the lease of {@code honua.worker.lease} and the
 *       {@link HonuaDbBuilderCustomizer} beans;</li>
 *   <li>{@link HonuaWorkers}: a {@link io.honua.db.queue.BuildWorker} per {@link BuildHandler} bean, started and
 *       stopped with the context ({@code honua.worker.*});</li>
 *   <li>with Spring Boot's health module: {@link HonuaHealthIndicator} ({@code honua} component);</li>
 *   <li>with Micrometer, honua-micrometer and a {@link MeterRegistry} bean: {@link QueueTimings}, {@link HonuaMeters},
 *       the meters of every worker and of every {@link CacheAccessRecorder} bean.</li>
 * </ul>
 * Every bean backs off when the application defines its own of the same type.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(HonuaDb.class)
@ConditionalOnSingleCandidate(DataSource.class)
@EnableConfigurationProperties(HonuaProperties.class)
public class HonuaAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "honua.migrations", name = "enabled", havingValue = "true", matchIfMissing = true)
    public HonuaSchemaMigration honuaSchemaMigration(DataSource dataSource) {
        return new HonuaSchemaMigration(dataSource);
    }

    @Bean
    @ConditionalOnMissingBean
    public HonuaDb honuaDb(DataSource dataSource, HonuaProperties properties,
                           ObjectProvider<HonuaSchemaMigration> migration,
                           ObjectProvider<HonuaDbBuilderCustomizer> customizers) {
        migration.ifAvailable(m -> { }); // the schema is migrated before anything can use the HonuaDb
        HonuaDb.Builder builder = HonuaDb.builder(dataSource)
                .queueOptions(QueueOptions.DEFAULTS.withLease(properties.getWorker().getLease()));
        if (properties.getSlowQueryThreshold() != null) {
            builder.slowQueryThreshold(properties.getSlowQueryThreshold());
        }
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(BuildHandler.class)
    @ConditionalOnProperty(prefix = "honua.worker", name = "enabled", havingValue = "true", matchIfMissing = true)
    public HonuaWorkers honuaWorkers(HonuaDb honua, HonuaProperties properties, Map<String, BuildHandler> handlers,
                                     ObjectProvider<HonuaWorkerListener> listeners) {
        return new HonuaWorkers(honua, properties.getWorker(), handlers, listeners.orderedStream().toList());
    }

    /** The {@code honua} health component. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class HonuaHealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "honuaHealthIndicator")
        HonuaHealthIndicator honuaHealthIndicator(HonuaDb honua) {
            return new HonuaHealthIndicator(honua);
        }
    }

    /** The meters, when Micrometer and honua-micrometer are on the classpath and there is a registry. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, HonuaMeters.class})
    @ConditionalOnBean(MeterRegistry.class)
    static class HonuaMetricsConfiguration {

        @Bean
        HonuaDbBuilderCustomizer honuaQueueTimings(MeterRegistry registry) {
            QueueTimings timings = new QueueTimings(registry);
            return builder -> builder.executeListener(timings);
        }

        @Bean(destroyMethod = "close")
        @ConditionalOnMissingBean
        HonuaMeters honuaMeters(HonuaDb honua, MeterRegistry registry, HonuaProperties properties) {
            HonuaMeters meters = HonuaMeters.builder(honua)
                    .topCustomers(properties.getMetrics().getTopCustomers())
                    .refreshInterval(properties.getMetrics().getRefreshInterval())
                    .build();
            meters.bindTo(registry);
            return meters;
        }

        @Bean
        HonuaWorkerListener honuaWorkerMeters(MeterRegistry registry) {
            return worker -> HonuaMeters.bindWorker(registry, worker);
        }

        @Bean
        SmartInitializingSingleton honuaRecorderMeters(MeterRegistry registry, ListableBeanFactory beans) {
            return () -> beans.getBeansOfType(CacheAccessRecorder.class)
                    .forEach((name, recorder) -> HonuaMeters.bindRecorder(registry, name, recorder));
        }
    }
}
