package io.honua.db.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The regression run's pairs and threshold logic (no database: what the CI profile measures and what fails it). */
class BenchCiTest {

    @Test
    void everyGuardedPairIsMeasuredAndEveryPairIsGuarded() throws Exception {
        Properties thresholds = BenchMain.thresholds();
        Set<String> pairs = BenchMain.CI_PAIRS.stream().map(BenchMain.CiPair::group).collect(Collectors.toSet());
        Set<String> scenarios = Set.of("tenantClaim", "peer");   // QueueScaleRun, not JMH pairs
        assertThat(pairs).doesNotContainAnyElementsOf(scenarios);
        assertThat(thresholds.stringPropertyNames()).containsExactlyInAnyOrderElementsOf(
                java.util.stream.Stream.concat(pairs.stream(), scenarios.stream()).toList());
    }

    @Test
    void onlyTheGroupsBelowTheirThresholdAreMeasuredAgain() throws Exception {
        Map<String, Double> ratios = new LinkedHashMap<>();
        ratios.put("claim {n=10, queued=10000} t1", 0.79);
        ratios.put("enqueue {batch=100} t1", 0.80);
        ratios.put("lookup {} t1", 1.02);
        ratios.put("record {} t1", 0.10);
        ratios.put("peer Honua/db-scheduler jobs/s, 3000 jobs, 1 customers", 0.24);
        ratios.put("tenantClaim p50 at 1 customers / p50 at 10000 customers", 0.51);
        assertThat(BenchMain.failingGroups(ratios)).containsExactly("claim", "peer", "record");
        assertThat(BenchMain.failingGroups(Map.of("lookup {} t1", 0.95))).isEmpty();
    }
}
