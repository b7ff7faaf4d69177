package io.honua.db.bench;

import io.honua.db.schema.HonuaMigrations;
import io.honua.db.testkit.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What a run measures, as a list of steps with a planned duration each (the progress line's estimate of the time
 * left comes from these budgets, scaled by how long the finished steps really took).
 * <ul>
 *   <li>{@link #quick}: the default of {@code ./honua bench}, a few minutes: every library/JDBC pair of every benchmark
 *       class once (the middle parameter where a benchmark has several; of the analytics queries those on request
 *       paths, {@link #QUICK_PATHS}), one warm-up and two measured 1 s iterations in one fork, the tenant scale points
 *       and the db-scheduler peer at reduced sizes.</li>
 *   <li>{@link #full}: {@code ./honua bench full}: every benchmark method at every parameter value (lifecycle at 1, 4 and
 *       16 threads), the tenant, peer and xmin scenarios and the scale curve at full size.</li>
 *   <li>{@link #smoke}: one pair and tiny scenarios, for the report test.</li>
 * </ul>
 */
final class BenchPlan {

    /** Every JMH benchmark class of this module (a test checks the list against JMH's generated benchmark list). */
    static final List<Class<?>> BENCHMARKS = List.of(ClaimBenchmark.class, EnqueueBenchmark.class, LifecycleBenchmark.class,
            CacheBenchmark.class, CacheRecorderBenchmark.class, AnalyticsBenchmark.class, AppendBenchmark.class, MetricsBenchmark.class);

    /**
     * JMH iterations of one benchmark; {@code forkSeconds} is the planned cost of the fork and the trial set-up;
     * {@code lifecycleWarmUpCalls} the lifecycles {@link LifecycleBenchmark} runs for the JIT before measuring.
     */
    record Timing(int forks, int warmups, int iterations, Duration time, double forkSeconds, int lifecycleWarmUpCalls) {
        double budgetSeconds() {
            return forks * (forkSeconds + (warmups + iterations) * time.toMillis() / 1000.0);
        }
    }

    /** The work of a step. */
    interface Action {
        void run(BenchRun run) throws Exception;
    }

    /** The body of a scenario: prints its tables to {@code o}, returns its ratios. */
    interface Scenario {
        Map<String, Double> run(PrintStream o, BenchRun run) throws Exception;
    }

    record Step(String name, double budgetSeconds, Action action) {
    }

    /** One JMH benchmark: a method of a class at fixed parameter values and a thread count. */
    record Bench(Class<?> benchmark, String method, Map<String, String> params, int threads) {
        String label() {
            StringBuilder s = new StringBuilder(method);
            Map<String, String[]> declared = declaredParams(benchmark);
            params.forEach((k, v) -> {
                String[] d = declared.get(k);
                // single-valued parameters at their declared value say nothing
                if (d == null || d.length != 1 || !d[0].equals(v)) {
                    s.append(' ').append(k).append('=').append(v);
                }
            });
            if (threads > 1) {
                s.append(", ").append(threads).append(" threads");
            }
            return s.toString();
        }
    }

    private BenchPlan() {
    }

    static List<Step> forProfile(String profile, Supplier<PostgresServer> servers) {
        return switch (profile) {
            case "quick" -> quick(servers);
            case "full" -> full(servers);
            case "smoke" -> smoke(servers);
            default -> throw new IllegalArgumentException("plan must be quick, full or smoke: " + profile);
        };
    }

    // ---- the plans ---------------------------------------------------------------------------------------------

    static final Timing QUICK = new Timing(1, 1, 2, Duration.ofSeconds(1), 2.5, 1_000);
    static final Timing FULL = new Timing(1, 3, 5, Duration.ofSeconds(2), 4, 2_000);

    /** The parameter values the quick plan uses where a benchmark declares several (the CI sizes for analytics). */
    static final Map<Class<?>, Map<String, String>> QUICK_PARAMS = Map.of(ClaimBenchmark.class, Map.of("n", "10"),
            EnqueueBenchmark.class, Map.of("batch", "100"),
            AnalyticsBenchmark.class, Map.of("accessRows", "200000", "finishedBuilds", "10000"));

    /**
     * Of the analytics queries, the quick plan measures the two that services call on their request paths (the
     * rollup-backed hit rate, which bench-ci guards, and the queue depth that monitoring polls); the reports
     * (per-customer hit rates, quota, build performance, usage) run in the full plan.
     */
    static final Map<Class<?>, List<String>> QUICK_PATHS = Map.of(AnalyticsBenchmark.class, List.of("hitRate", "queueDepth"));

    static List<Bench> quickBenches() {
        List<Bench> benches = new ArrayList<>();
        for (Class<?> c : BENCHMARKS) {
            Map<String, String> params = new LinkedHashMap<>();
            Map<String, String> pinned = QUICK_PARAMS.getOrDefault(c, Map.of());
            declaredParams(c).forEach((k, v) -> params.put(k, pinned.getOrDefault(k, v[0])));
            for (String m : benchmarkMethods(c)) {
                String path = m.replaceAll("_(lib|jdbc)$", "");
                if ((m.endsWith("_lib") || m.endsWith("_jdbc")) && (!QUICK_PATHS.containsKey(c) || QUICK_PATHS.get(c).contains(path))) {
                    benches.add(new Bench(c, m, params, 1));
                }
            }
        }
        return benches;
    }

    static List<Bench> fullBenches() {
        List<Bench> benches = new ArrayList<>();
        for (Class<?> c : BENCHMARKS) {
            List<Integer> threads = c == LifecycleBenchmark.class ? List.of(1, 4, 16) : List.of(1);
            for (Map<String, String> params : combinations(declaredParams(c))) {
                for (int t : threads) {
                    for (String m : benchmarkMethods(c)) {
                        benches.add(new Bench(c, m, params, t));
                    }
                }
            }
        }
        return benches;
    }

    static List<Step> quick(Supplier<PostgresServer> servers) {
        List<Step> steps = new ArrayList<>();
        steps.add(setup(servers));
        steps.addAll(jmhSteps(quickBenches(), QUICK, 20));
        steps.add(tenantScale("tenant scale: claim latency at 1, 100, 1,000, 10,000 customers", 35,
                () -> BenchMain.tenantCounts("1,100,1000,10000"), 20, Duration.ofSeconds(10)));
        steps.add(peer("peer baseline: 2,000 no-op jobs, Honua vs db-scheduler", 30,
                () -> Integer.getInteger("honua.bench.peerJobs", 2_000), List.of(1)));
        return steps;
    }

    static List<Step> full(Supplier<PostgresServer> servers) {
        List<Step> steps = new ArrayList<>();
        steps.add(setup(servers));
        steps.addAll(jmhSteps(fullBenches(), FULL, 90));
        steps.add(tenantScale("tenant scale: claim latency at 1, 100, 1,000, 10,000 customers", 120,
                () -> BenchMain.tenantCounts("1,100,1000,10000"), 100, Duration.ofSeconds(60)));
        steps.add(peer("peer baseline: 10,000 no-op jobs at 1 and 100 customers, Honua vs db-scheduler", 120,
                () -> Integer.getInteger("honua.bench.peerJobs", 10_000), List.of(1, 100)));
        steps.add(scenario("xmin: claim latency while an idle transaction pins xmin", 110, List.of(), (o, run) -> {
            QueueScaleRun.xmin(o, run.server, Integer.getInteger("honua.bench.xminBuilds", 50_000), Duration.ofSeconds(20),
                    Duration.ofSeconds(Integer.getInteger("honua.bench.xminPinSeconds", 60)), Duration.ofSeconds(20));
            return Map.of();
        }));
        // last: it leaves 1,000,000 queued and 10,000,000 finished builds in the benchmark database
        steps.add(scenario("scale curve: 10,000 / 1,000,000 queued, 10,000,000 finished builds", 660, List.of(
                new BenchRun.Chart("Claim latency as the queue and its history grow", "scale-claim.svg"),
                new BenchRun.Chart("Lifecycle throughput as the queue and its history grow", "scale-lifecycle.svg")), (o, run) -> {
            run.results.addAll(ScaleRun.run(o, run.dataSource, run.jvm, run.out));
            return Map.of();
        }));
        return steps;
    }

    static final Timing SMOKE = new Timing(1, 1, 1, Duration.ofMillis(500), 3, 100);

    static List<Step> smoke(Supplier<PostgresServer> servers) {
        List<Step> steps = new ArrayList<>();
        steps.add(setup(servers));
        steps.add(jmh(new Bench(CacheBenchmark.class, "lookup_lib", Map.of(), 1), SMOKE, 2));
        steps.add(jmh(new Bench(CacheBenchmark.class, "lookup_jdbc", Map.of(), 1), SMOKE, 2));
        steps.add(tenantScale("tenant scale: 1 and 10 customers", 15, () -> List.of(1, 10), 5, Duration.ofSeconds(5)));
        steps.add(peer("peer baseline: 200 no-op jobs", 15, () -> 200, List.of(1)));
        return steps;
    }

    /** {@link QueueScaleRun#tenants}: claim latency against the customer counts (read when the step runs). */
    static Step tenantScale(String name, double budgetSeconds, Supplier<List<Integer>> customerCounts, int claimsPerThread,
            Duration budget) {
        return scenario(name, budgetSeconds, List.of(
                new BenchRun.Chart("Claim latency against customers with queued builds", "tenants-claim.svg")),
                (o, run) -> QueueScaleRun.tenants(o, run.server, run.out, customerCounts.get(), claimsPerThread, budget));
    }

    /** {@link QueueScaleRun#peer}: no-op jobs per second, Honua vs db-scheduler (the job count read when the step runs). */
    static Step peer(String name, double budgetSeconds, IntSupplier jobs, List<Integer> customerCounts) {
        return scenario(name, budgetSeconds, List.of(new BenchRun.Chart("No-op jobs per second: Honua vs db-scheduler", "peer.svg")),
                (o, run) -> QueueScaleRun.peer(o, run.server, run.out, jobs.getAsInt(), customerCounts));
    }

    // ---- step kinds --------------------------------------------------------------------------------------------

    /** Starts (or connects to) PostgreSQL, creates the benchmark database and migrates it. */
    static Step setup(Supplier<PostgresServer> servers) {
        return new Step("PostgreSQL: start, create and migrate the benchmark database", 12, run -> {
            run.server = servers.get();
            String db = "honua_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            run.server.createDatabase(db, Optional.empty());
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(run.server.jdbcUrl(db));
            ds.setUser(run.server.user());
            if (!run.server.password().isEmpty()) {
                ds.setPassword(run.server.password());
            }
            var migrations = HonuaMigrations.forDataSource(ds);
            run.postgresVersion = migrations.validateConnection().version();
            migrations.migrate();
            run.dataSource = ds;
            run.database = db;
            run.jvm = List.of("-Dhonua.bench.url=" + run.server.jdbcUrl(db), "-Dhonua.bench.user=" + run.server.user(),
                    "-Dhonua.bench.password=" + run.server.password(), "-Xmx1g");
            // the same coordinates for benchmarks that run in this JVM (forks = 0) and for the scale curve
            System.setProperty("honua.bench.url", run.server.jdbcUrl(db));
            System.setProperty("honua.bench.user", run.server.user());
            System.setProperty("honua.bench.password", run.server.password());
            run.console.log().printf("benchmark database %s on %s PostgreSQL %s%n", db, run.server.source(), run.postgresVersion);
        });
    }

    /** One step per benchmark; the first analytics benchmark also loads the analytics data set ({@code loadSeconds}). */
    static List<Step> jmhSteps(List<Bench> benches, Timing t, double loadSeconds) {
        List<Step> steps = new ArrayList<>();
        boolean loaded = false;
        for (Bench b : benches) {
            boolean load = b.benchmark() == AnalyticsBenchmark.class && !loaded;
            loaded |= load;
            // LifecycleBenchmark's trial set-up runs lifecycleWarmUpCalls lifecycles of the measured path (JIT warm-up)
            double warmUp = b.benchmark() == LifecycleBenchmark.class ? t.lifecycleWarmUpCalls() / 250.0 : 0;
            steps.add(jmh(b, t, (load ? loadSeconds : 0) + warmUp));
        }
        return steps;
    }

    static Step jmh(Bench b, Timing t, double extraSetupSeconds) {
        return new Step(b.label(), t.budgetSeconds() + extraSetupSeconds, run -> {
            ChainedOptionsBuilder o = new OptionsBuilder()
                    .include("^" + Pattern.quote(b.benchmark().getName() + "." + b.method()) + "$")
                    .forks(t.forks())
                    .warmupIterations(t.warmups())
                    .warmupTime(TimeValue.milliseconds(t.time().toMillis()))
                    .measurementIterations(t.iterations())
                    .measurementTime(TimeValue.milliseconds(t.time().toMillis()))
                    .threads(b.threads())
                    // one call: a second jvmArgsAppend would replace the first
                    .jvmArgsAppend(java.util.stream.Stream.concat(run.jvm.stream(),
                            java.util.stream.Stream.of("-D" + LifecycleBenchmark.WARM_UP_PROPERTY + "=" + t.lifecycleWarmUpCalls()))
                            .toArray(String[]::new))
                    .shouldFailOnError(true);
            b.params().forEach(o::param);
            Collection<RunResult> r = new Runner(o.build(), OutputFormatFactory.createFormatInstance(run.console.log(), VerboseMode.NORMAL)).run();
            if (r.size() != 1) {
                throw new IllegalStateException("expected one JMH result for " + b.label() + ", got " + r.size());
            }
            run.results.addAll(r);
        });
    }

    /** A whole-scenario measurement: its printed tables go to the log and into the report, its ratios into the table. */
    static Step scenario(String name, double budgetSeconds, List<BenchRun.Chart> charts, Scenario body) {
        return new Step(name, budgetSeconds, run -> {
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            PrintStream o = new PrintStream(new BenchConsole.Tee(run.console.log(), copy), true, StandardCharsets.UTF_8);
            Map<String, Double> ratios = body.run(o, run);
            o.flush();
            run.scenarioRatios.putAll(ratios);
            run.sections.add(new BenchRun.Section(name, copy.toString(StandardCharsets.UTF_8).strip()));
            run.charts.addAll(charts);
        });
    }

    // ---- reflection over the benchmark classes -----------------------------------------------------------------

    /** The {@code @Benchmark} methods of a class, sorted by name (so a path's variants are adjacent). */
    static List<String> benchmarkMethods(Class<?> c) {
        return Arrays.stream(c.getMethods()).filter(m -> m.isAnnotationPresent(Benchmark.class)).map(Method::getName).sorted().toList();
    }

    /** The {@code @Param} fields of a class and of its nested state classes, with their declared values. */
    static Map<String, String[]> declaredParams(Class<?> c) {
        Map<String, String[]> params = new LinkedHashMap<>();
        List<Class<?>> classes = new ArrayList<>(List.of(c));
        classes.addAll(Arrays.stream(c.getDeclaredClasses()).sorted(Comparator.comparing(Class::getName)).toList());
        for (Class<?> k : classes) {
            for (Field f : k.getFields()) {
                Param p = f.getAnnotation(Param.class);
                if (p != null) {
                    params.put(f.getName(), p.value());
                }
            }
        }
        return params;
    }

    static List<Map<String, String>> combinations(Map<String, String[]> params) {
        List<Map<String, String>> all = new ArrayList<>();
        all.add(new LinkedHashMap<>());
        for (var e : params.entrySet()) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : all) {
                for (String v : e.getValue()) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(e.getKey(), v);
                    next.add(m);
                }
            }
            all = next;
        }
        return all;
    }

    static String describe(List<Step> steps) {
        double total = steps.stream().mapToDouble(Step::budgetSeconds).sum();
        return String.format(Locale.ROOT, "%d steps, planned ~%s", steps.size(), BenchConsole.mmss(Duration.ofMillis((long) (total * 1000))));
    }
}
