package io.honua.db.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the Honua DB auto-configuration, under {@code honua.*}:
 *
 * <pre>
 * honua.migrations.enabled=true          # apply the schema migrations on start-up
 * honua.worker.enabled=true              # run a BuildWorker for each BuildHandler bean
 * honua.worker.id=                       # default: host name and process id
 * honua.worker.concurrency=10            # builds running at once, per worker
 * honua.worker.batch-size=10             # builds claimed per round trip
 * honua.worker.lease=60s                 # lease of a claimed build (heartbeats every third of it)
 * honua.worker.poll-interval=5s          # fallback poll when no notification arrives
 * honua.worker.shutdown-grace=30s        # on context close: time running builds get to finish
 * honua.metrics.top-customers=10         # customers tagged by name in honua.queue.customer.depth
 * honua.metrics.refresh-interval=15s     # how often the database-backed gauges are read
 * honua.slow-query-threshold=            # e.g. 200ms: statements slower are logged and counted; off when unset
 * </pre>
 */
@ConfigurationProperties("honua")
public class HonuaProperties {

    private final Migrations migrations = new Migrations();
    private final Worker worker = new Worker();
    private final Metrics metrics = new Metrics();
    private Duration slowQueryThreshold;

    public Migrations getMigrations() {
        return migrations;
    }

    public Worker getWorker() {
        return worker;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    /** Statements slower than this are logged and counted ({@code honua.db.statements{kind=slow}}); off when unset. */
    public Duration getSlowQueryThreshold() {
        return slowQueryThreshold;
    }

    public void setSlowQueryThreshold(Duration slowQueryThreshold) {
        this.slowQueryThreshold = slowQueryThreshold;
    }

    /** {@code honua.migrations.*}. */
    public static class Migrations {
        private boolean enabled = true;

        /** Apply the Honua schema migrations when the context starts (default true). */
        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** {@code honua.worker.*}. */
    public static class Worker {
        private boolean enabled = true;
        private String id;
        private int concurrency = 10;
        private int batchSize = 10;
        private Duration lease = Duration.ofSeconds(60);
        private Duration pollInterval = Duration.ofSeconds(5);
        private Duration shutdownGrace = Duration.ofSeconds(30);

        /** Run a worker for each BuildHandler bean (default true). */
        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** Worker id recorded with each claim; default: host name and process id. */
        public String getId() {
            return id;
        }

        public void setId(String id) {
            this.id = id;
        }

        /** Builds running at once, per worker (default 10). */
        public int getConcurrency() {
            return concurrency;
        }

        public void setConcurrency(int concurrency) {
            this.concurrency = concurrency;
        }

        /** Builds claimed per round trip (default 10). */
        public int getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(int batchSize) {
            this.batchSize = batchSize;
        }

        /** Lease of a claimed build without heartbeat (default 60 s); the HonuaDb's queue uses it. */
        public Duration getLease() {
            return lease;
        }

        public void setLease(Duration lease) {
            this.lease = lease;
        }

        /** Fallback poll when no notification arrives (default 5 s). */
        public Duration getPollInterval() {
            return pollInterval;
        }

        public void setPollInterval(Duration pollInterval) {
            this.pollInterval = pollInterval;
        }

        /** How long running builds may finish when the context closes (default 30 s); the rest are released. */
        public Duration getShutdownGrace() {
            return shutdownGrace;
        }

        public void setShutdownGrace(Duration shutdownGrace) {
            this.shutdownGrace = shutdownGrace;
        }
    }

    /** {@code honua.metrics.*}. */
    public static class Metrics {
        private int topCustomers = 10;
        private Duration refreshInterval = Duration.ofSeconds(15);

        /** Customers tagged by name in {@code honua.queue.customer.depth}; the rest are "other" (default 10). */
        public int getTopCustomers() {
            return topCustomers;
        }

        public void setTopCustomers(int topCustomers) {
            this.topCustomers = topCustomers;
        }

        /** How often the database-backed gauges are refreshed (default 15 s). */
        public Duration getRefreshInterval() {
            return refreshInterval;
        }

        public void setRefreshInterval(Duration refreshInterval) {
            this.refreshInterval = refreshInterval;
        }
    }
}
