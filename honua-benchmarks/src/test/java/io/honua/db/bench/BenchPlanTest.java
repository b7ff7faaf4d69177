package io.honua.db.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.honua.db.testkit.PostgresServer;
import org.junit.jupiter.api.Test;

/** The plans against JMH's own list of the benchmarks compiled into this module (no database needed). */
class BenchPlanTest {

    static final Supplier<PostgresServer> NO_SERVER = () -> {
        throw new AssertionError("plans are only built here, not run");
    };

    /** class#method of every benchmark in META-INF/BenchmarkList, written by JMH's annotation processor. */
    static Set<String> compiledBenchmarks() throws Exception {
        Set<String> all = new TreeSet<>();
        Pattern line = Pattern.compile("^JMH S \\d+ (\\S+) S \\d+ \\S+ S \\d+ (\\S+) ");
        try (var in = BenchPlanTest.class.getResourceAsStream("/META-INF/BenchmarkList")) {
            assertThat(in).as("JMH benchmark list on the class path").isNotNull();
            for (String l : new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList()) {
                Matcher m = line.matcher(l);
                assertThat(m.find()).as("benchmark list line %s", l).isTrue();
                all.add(m.group(1) + "#" + m.group(2));
            }
        }
        return all;
    }

    @Test
    void fullPlanRunsEveryCompiledBenchmarkAtEveryDeclaredParameterValue() throws Exception {
        List<BenchPlan.Bench> full = BenchPlan.fullBenches();
        Set<String> planned = new TreeSet<>();
        for (BenchPlan.Bench b : full) {
            planned.add(b.benchmark().getName() + "#" + b.method());
        }
        assertThat(planned).isEqualTo(compiledBenchmarks());
        // every combination of declared values once per thread count, no duplicates
        int expected = 0;
        for (Class<?> c : BenchPlan.BENCHMARKS) {
            int combos = BenchPlan.declaredParams(c).values().stream().mapToInt(v -> v.length).reduce(1, (a, b) -> a * b);
            expected += BenchPlan.benchmarkMethods(c).size() * combos * (c == LifecycleBenchmark.class ? 3 : 1);
        }
        assertThat(full).hasSize(expected).doesNotHaveDuplicates();
        assertThat(full).filteredOn(b -> b.benchmark() == ClaimBenchmark.class && b.method().equals("claim_lib"))
                .extracting(b -> b.params().get("n")).containsExactlyInAnyOrder("1", "10", "100");
        assertThat(full).filteredOn(b -> b.benchmark() == LifecycleBenchmark.class && b.method().equals("lifecycle_lib"))
                .extracting(BenchPlan.Bench::threads).containsExactlyInAnyOrder(1, 4, 16);
    }

    @Test
    void quickPlanRunsEveryLibraryPathBesideItsJdbcBaselineOnceWithEveryParameterPinned() throws Exception {
        List<BenchPlan.Bench> quick = BenchPlan.quickBenches();
        Set<String> libPaths = new TreeSet<>();
        for (String b : compiledBenchmarks()) {
            String path = b.substring(0, Math.max(0, b.length() - "_lib".length()));
            String clazz = b.substring(0, b.indexOf('#'));
            // of the analytics queries only those on request paths (the reports run in the full plan)
            boolean analyticsReport = clazz.equals(AnalyticsBenchmark.class.getName())
                    && !List.of("hitRate", "queueDepth").contains(path.substring(path.indexOf('#') + 1));
            if (b.endsWith("_lib") && !analyticsReport) {
                libPaths.add(path);
            }
        }
        assertThat(libPaths).as("hot paths").hasSizeGreaterThanOrEqualTo(11);
        Set<String> quickLib = new HashSet<>();
        for (BenchPlan.Bench b : quick) {
            // a single value per parameter, so that each step is exactly one JMH benchmark
            assertThat(b.params().keySet()).isEqualTo(BenchPlan.declaredParams(b.benchmark()).keySet());
            assertThat(b.method()).matches(".*_(lib|jdbc)");
            if (b.method().endsWith("_lib")) {
                String path = b.benchmark().getName() + "#" + b.method().substring(0, b.method().length() - 4);
                assertThat(quickLib.add(path)).as("%s measured once", path).isTrue();
                assertThat(quick).as("baseline of %s", path).contains(new BenchPlan.Bench(b.benchmark(), b.method().replaceAll("_lib$", "_jdbc"),
                        b.params(), b.threads()));
            }
        }
        assertThat(quickLib).isEqualTo(libPaths);
        assertThat(quick).filteredOn(b -> b.benchmark() == ClaimBenchmark.class).allMatch(b -> b.params().get("n").equals("10"));
        assertThat(quick).filteredOn(b -> b.benchmark() == AnalyticsBenchmark.class)
                .allMatch(b -> b.params().equals(Map.of("accessRows", "200000", "finishedBuilds", "10000")));
    }

    @Test
    void quickPlanIsPlannedForAFewMinutesAndHasTheScenariosAtReducedSize() {
        List<BenchPlan.Step> quick = BenchPlan.quick(NO_SERVER);
        List<BenchPlan.Step> full = BenchPlan.full(NO_SERVER);
        double quickSeconds = quick.stream().mapToDouble(BenchPlan.Step::budgetSeconds).sum();
        double fullSeconds = full.stream().mapToDouble(BenchPlan.Step::budgetSeconds).sum();
        // the planned budget (what the progress line's estimate starts from), not a measurement
        assertThat(quickSeconds).isLessThanOrEqualTo(240);
        assertThat(fullSeconds).isGreaterThan(5 * quickSeconds);
        assertThat(quick).extracting(BenchPlan.Step::name).anyMatch(n -> n.startsWith("tenant scale"))
                .anyMatch(n -> n.startsWith("peer baseline")).noneMatch(n -> n.startsWith("scale curve"));
        assertThat(full).extracting(BenchPlan.Step::name).anyMatch(n -> n.startsWith("tenant scale"))
                .anyMatch(n -> n.startsWith("peer baseline")).anyMatch(n -> n.startsWith("xmin")).anyMatch(n -> n.startsWith("scale curve"));
        assertThat(quick.getFirst().name()).startsWith("PostgreSQL");
    }

    @Test
    void estimateOfTimeLeftScalesTheRemainingBudgetsByHowLongTheFinishedStepsTook() {
        List<BenchPlan.Step> steps = List.of(new BenchPlan.Step("a", 10, r -> { }), new BenchPlan.Step("b", 20, r -> { }),
                new BenchPlan.Step("c", 30, r -> { }));
        double[] taken = {20, 0, 0};
        assertThat(BenchMain.secondsLeft(steps, taken, 0)).isEqualTo(60);
        assertThat(BenchMain.secondsLeft(steps, taken, 1)).isEqualTo(100); // step a took twice its budget
        taken[1] = 10;
        assertThat(BenchMain.secondsLeft(steps, taken, 2)).isEqualTo(30); // 30 s for 30 s of budget so far
    }
}
