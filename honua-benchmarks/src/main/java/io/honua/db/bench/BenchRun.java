package io.honua.db.bench;

import io.honua.db.testkit.PostgresServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The state of one run of a {@link BenchPlan}: the server and benchmark database (set by the plan's first step), and
 * everything measured so far, from which the table, the JSON/CSV files and the HTML report are written.
 */
final class BenchRun {

    /** The text a scenario printed (its own tables), kept for the report. */
    record Section(String title, String text) {
    }

    /** A chart file in the output directory, drawn from this run's measurements. */
    record Chart(String title, String file) {
    }

    /** Planned and measured duration of a step. */
    record StepTime(String name, double budgetSeconds, double seconds) {
    }

    final String profile;
    final Path out;
    final BenchConsole console;
    PostgresServer server;
    PGSimpleDataSource dataSource;
    String database;
    String postgresVersion = "?";
    List<String> jvm = List.of();
    final List<RunResult> results = new ArrayList<>();
    final Map<String, Double> scenarioRatios = new LinkedHashMap<>();
    final List<Section> sections = new ArrayList<>();
    final List<Chart> charts = new ArrayList<>();
    final List<StepTime> steps = new ArrayList<>();
    long startedNanos = System.nanoTime();
    double totalSeconds;

    BenchRun(String profile, Path out, BenchConsole console) {
        this.profile = profile;
        this.out = out;
        this.console = console;
    }
}
