package io.honua.db.bench;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The scale curve: claim latency (n=10, library and baseline) and lifecycle throughput (4 threads) with
 * 10,000 queued, 1,000,000 queued, and 10,000 queued beside 10,000,000 finished builds. Sizes can be lowered with
 * {@code -Dhonua.bench.bigQueue} and {@code -Dhonua.bench.finished} for a quick look.
 */
final class ScaleRun {

    private ScaleRun() {
    }

    static List<RunResult> run(PrintStream o, PGSimpleDataSource target, List<String> jvm, Path out) throws Exception {
        int small = 10_000;
        int big = Integer.getInteger("honua.bench.bigQueue", 1_000_000);
        long finished = Long.getLong("honua.bench.finished", 10_000_000L);
        System.setProperty("honua.bench.url", target.getUrl());
        System.setProperty("honua.bench.user", target.getUser());
        record Stage(String label, int queued, long finished) {
        }
        List<Stage> stages = List.of(new Stage(String.format(Locale.ROOT, "%,d queued", small), small, 0),
                new Stage(String.format(Locale.ROOT, "%,d queued", big), big, 0),
                new Stage(String.format(Locale.ROOT, "%,d queued + %,d finished", small, finished), small, finished));
        List<RunResult> all = new ArrayList<>();
        Map<String, List<Double>> claim = new LinkedHashMap<>();
        Map<String, List<Double>> lifecycle = new LinkedHashMap<>();
        List<String> labels = new ArrayList<>();
        try (HikariDataSource ds = BenchState.pool(2)) {
            for (Stage stage : stages) {
                long t0 = System.nanoTime();
                BenchData.ensureFinished(ds, stage.finished());
                BenchData.ensureQueued(ds, stage.queued());
                o.printf(Locale.ROOT, "stage '%s' loaded in %.0f s%n", stage.label(), (System.nanoTime() - t0) / 1e9);
                var claimRuns = BenchMain.run(BenchMain.base(jvm, 2, 4, 1).include(ClaimBenchmark.class.getSimpleName())
                        .param("n", "10").param("queued", String.valueOf(stage.queued())));
                var lifeRuns = BenchMain.run(BenchMain.base(jvm, 2, 4, 1).include(LifecycleBenchmark.class.getSimpleName() + ".lifecycle_lib")
                        .threads(4));
                all.addAll(claimRuns);
                all.addAll(lifeRuns);
                labels.add(stage.label());
                for (var line : BenchMain.lines(claimRuns)) {
                    claim.computeIfAbsent("claim n=10 p50 µs, " + line.variant(), k -> new ArrayList<>()).add(line.p50us());
                }
                for (var line : BenchMain.lines(lifeRuns)) {
                    lifecycle.computeIfAbsent("lifecycle ops/s, 4 threads, " + line.variant(), k -> new ArrayList<>()).add(line.opsPerSec());
                }
            }
        }
        Charts.lineChart("Claim latency as the queue and its history grow", "p50 latency (µs)", labels, claim, out.resolve("scale-claim.svg"));
        Charts.lineChart("Lifecycle throughput as the queue and its history grow", "builds/s", labels, lifecycle,
                out.resolve("scale-lifecycle.svg"));
        o.println();
        o.println("scale curve (" + String.join(" | ", labels) + "):");
        claim.forEach((k, v) -> o.printf(Locale.ROOT, "  %-40s %s%n", k, v.stream().map(d -> String.format(Locale.ROOT, "%.0f", d)).toList()));
        lifecycle.forEach((k, v) -> o.printf(Locale.ROOT, "  %-40s %s%n", k, v.stream().map(d -> String.format(Locale.ROOT, "%.0f", d)).toList()));
        o.println("charts: scale-claim.svg, scale-lifecycle.svg");
        return all;
    }
}
