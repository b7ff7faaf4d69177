package io.honua.db.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.honua.db.testkit.PostgresProvisioning;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a tiny real benchmark through the code path of {@code ./honua bench} (PostgreSQL provisioned like the tests,
 * one JMH pair in a forked JVM, the tenant and peer scenarios at toy sizes), then opens the {@code report.html} it wrote
 * in headless Chromium and checks, from the browser's layout, that every chart rendered with all its series.
 * Without {@code /usr/bin/chromium} the test is skipped, unless {@code HONUA_REQUIRE_CHROMIUM=1} (CI) makes it fail.
 */
class BenchReportBrowserTest {

    static final Path CHROMIUM = Path.of(System.getProperty("honua.chromium", "/usr/bin/chromium"));

    /**
     * Appended to a copy of the report: for every chart, the rendered size of its svg, its series groups, and how many
     * of them contain a drawn mark (bar or point) with a non-empty box inside the svg's box.
     */
    static final String PROBE = """
            <script>
            (function () {
              const lines = [];
              document.querySelectorAll('figure.chart').forEach(function (f) {
                const svg = f.querySelector('svg');
                if (!svg) { lines.push(f.id + ' nosvg'); return; }
                const box = svg.getBoundingClientRect();
                const series = svg.querySelectorAll('g.series');
                let drawn = 0;
                let marks = [];
                series.forEach(function (g) {
                  let n = 0;
                  g.querySelectorAll('rect, circle').forEach(function (m) {
                    const r = m.getBoundingClientRect();
                    if (r.width > 0 && r.height > 0 && r.left >= box.left - 1 && r.right <= box.right + 1
                        && r.top >= box.top - 1 && r.bottom <= box.bottom + 1) { n++; }
                  });
                  marks.push(n);
                  if (n > 0) { drawn++; }
                });
                lines.push(f.id + ' w=' + Math.round(box.width) + ' h=' + Math.round(box.height) + ' series=' + series.length
                    + ' drawn=' + drawn + ' marks=' + marks.join(','));
              });
              const pre = document.createElement('pre');
              pre.id = 'chart-check';
              pre.textContent = lines.join('\\n');
              document.body.appendChild(pre);
            })();
            </script>
            """;

    record Rendered(String id, int width, int height, int series, int drawn, List<Integer> marks) {
    }

    @Test
    void reportOfARealRunRendersEveryChartInHeadlessChromium(@TempDir Path dir) throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            if ("1".equals(System.getenv("HONUA_REQUIRE_CHROMIUM"))) {
                fail("HONUA_REQUIRE_CHROMIUM=1 but " + CHROMIUM + " is missing (.ci/run installs it: apt-get install -y chromium)");
            }
            Assumptions.abort("headless Chromium not installed (" + CHROMIUM + "; Debian: apt-get install chromium): "
                    + "the rendering of the benchmark report is not checked on this machine");
        }
        // a correctness check of the pipeline, not a measurement: it may overlap a benchmark run elsewhere on the machine
        System.setProperty("jmh.ignoreLock", "true");
        Path out = dir.resolve("bench");
        Path logFile = dir.resolve("bench.log");
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        BenchRun run;
        try (PrintStream term = new PrintStream(terminal, true, StandardCharsets.UTF_8);
             PrintStream log = new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8);
             BenchConsole console = BenchConsole.of(term, log, logFile)) {
            run = BenchMain.execute("smoke", out, console, PostgresProvisioning::start).orElse(null);
        }
        String said = terminal.toString(StandardCharsets.UTF_8);
        System.out.println(said); // into the surefire report: what a person would have seen
        if (run == null) {
            fail("the smoke run failed:\n" + said + "\nlog:\n" + Files.readString(logFile));
        }

        // the terminal: a header, one progress line per step, then the table and the report's path; no chatter
        List<String> lines = said.lines().toList();
        int steps = run.steps.size();
        assertThat(steps).isEqualTo(5);
        assertThat(lines.get(0)).startsWith("Honua DB benchmarks, smoke profile: 5 steps");
        for (int k = 1; k <= steps; k++) {
            assertThat(lines.get(k)).matches(Pattern.quote("[" + k + "/5] ") + ".+ … elapsed \\d\\d:\\d\\d, ~\\d\\d:\\d\\d left");
        }
        assertThat(said).contains("lookup").contains("tenantClaim").contains("peer Honua/db-scheduler")
                .contains("Report: " + out.resolve("report.html").toAbsolutePath());
        assertThat(said).doesNotContain("Flyway").doesNotContain("# JMH").doesNotContain("HikariPool").doesNotContain("jOOQ");
        assertThat(Files.readString(logFile)).contains("# JMH version").contains("CacheBenchmark.lookup_jdbc");

        // self-contained: no scripts, style sheets, images or frames from anywhere
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).doesNotContainIgnoringCase("<script").doesNotContainIgnoringCase("<link").doesNotContainIgnoringCase("<img")
                .doesNotContainIgnoringCase("<iframe").doesNotContainPattern("(?i)(src|href)\\s*=").doesNotContainIgnoringCase("url(");
        assertThat(html).contains("<table>").contains("lookup").contains("claim latency against customers");

        // expected charts, from what was measured: the ratio bars (one per pair and per scenario ratio), the tenant
        // curve (p50, p99 at 1 and 10 customers) and the peer comparison (Honua, db-scheduler at 1 customer)
        int pairs = (int) BenchMain.lines(run.results).stream().filter(l -> l.variant().equals("lib")).count();
        assertThat(pairs).isEqualTo(1);
        assertThat(run.scenarioRatios).hasSize(2);
        assertThat(run.charts).extracting(BenchRun.Chart::file).containsExactly("tenants-claim.svg", "peer.svg");

        List<Rendered> rendered = render(dir, html);
        assertThat(rendered).extracting(Rendered::id).containsExactly("chart-1", "chart-2", "chart-3");
        for (Rendered r : rendered) {
            assertThat(r.width()).as("%s width", r.id()).isGreaterThan(200);
            assertThat(r.height()).as("%s height", r.id()).isGreaterThan(50);
            assertThat(r.drawn()).as("%s series drawn", r.id()).isEqualTo(r.series());
        }
        assertThat(rendered.get(0).series()).isEqualTo(pairs + run.scenarioRatios.size());
        assertThat(rendered.get(0).marks()).containsOnly(1);
        assertThat(rendered.get(1).series()).isEqualTo(2);
        assertThat(rendered.get(1).marks()).containsOnly(2);
        assertThat(rendered.get(2).series()).isEqualTo(2);
        assertThat(rendered.get(2).marks()).containsOnly(1);
    }

    /** Opens a copy of the report with {@link #PROBE} in headless Chromium and reads what the probe wrote into the DOM. */
    static List<Rendered> render(Path dir, String html) throws Exception {
        Path probe = dir.resolve("probe.html");
        Files.writeString(probe, html.replace("</body>", PROBE + "</body>"));
        Path profile = Files.createDirectory(dir.resolve("chromium-profile"));
        Path dom = dir.resolve("dom.html");
        Path err = dir.resolve("chromium.log");
        Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--window-size=1200,900", "--dump-dom", probe.toUri().toString())
                .redirectOutput(dom.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("Chromium did not finish within 120 s: " + Files.readString(err));
        }
        String text = Files.readString(dom);
        Matcher check = Pattern.compile("<pre id=\"chart-check\">(.*?)</pre>", Pattern.DOTALL).matcher(text);
        if (!check.find()) {
            fail("Chromium (exit " + p.exitValue() + ") returned no probe result; stderr:\n" + Files.readString(err));
        }
        List<Rendered> rendered = new ArrayList<>();
        Pattern row = Pattern.compile("(chart-\\d+) w=(\\d+) h=(\\d+) series=(\\d+) drawn=(\\d+) marks=([\\d,]*)");
        for (String line : check.group(1).strip().split("\n")) {
            Matcher m = row.matcher(line.strip());
            assertThat(m.matches()).as("probe line %s", line).isTrue();
            List<Integer> marks = m.group(6).isEmpty() ? List.of() : java.util.Arrays.stream(m.group(6).split(",")).map(Integer::valueOf).toList();
            rendered.add(new Rendered(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(5)), marks));
        }
        return rendered;
    }
}
