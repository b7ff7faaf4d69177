package io.honua.db.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report of a run as one self-contained HTML file: inline CSS, the tables and the SVG charts inline, no scripts and
 * no external resources, so it can be mailed or attached to an issue as it is. Each chart is a
 * {@code <figure class="chart">} holding one {@code <svg>}.
 */
final class HtmlReport {

    private HtmlReport() {
    }

    static final String CSS = """
            body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
            h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
            th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #eee; text-align: right; }
            th { background: #f4f4f4; } td.l, th.l { text-align: left; }
            td.good { color: #2e7d32; font-weight: 600; } td.bad { color: #c0392b; font-weight: 600; }
            figure.chart { margin: 1.5em 0; } figure.chart svg { max-width: 100%; height: auto; border: 1px solid #eee; }
            figcaption { font-weight: 600; margin-bottom: 0.4em; }
            pre { background: #f8f8f8; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
            .meta { color: #555; }
            """;

    static Path write(BenchRun run, List<BenchMain.Line> lines, Map<String, Double> ratios, String ratioSvg) throws IOException {
        Path file = run.out.resolve("report.html");
        Files.writeString(file, html(run, lines, ratios, ratioSvg));
        return file;
    }

    static String html(BenchRun run, List<BenchMain.Line> lines, Map<String, Double> ratios, String ratioSvg) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Honua DB benchmarks (")
                .append(esc(run.profile)).append(")</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>Honua DB benchmarks — ").append(esc(run.profile)).append(" profile</h1>\n");
        h.append(String.format(Locale.ROOT, "<p class=\"meta\">%s · %s PostgreSQL %s · Java %s · %d cores · %d steps in %s</p>%n",
                Instant.now().truncatedTo(ChronoUnit.SECONDS), run.server == null ? "?" : run.server.source(), esc(run.postgresVersion),
                esc(System.getProperty("java.version")), Runtime.getRuntime().availableProcessors(), run.steps.size(),
                BenchConsole.mmss(java.time.Duration.ofMillis((long) (run.totalSeconds * 1000)))));
        h.append("<p>Every library path runs beside a baseline measured in the same run: the same SQL through plain JDBC on the "
                + "same pool. <b>ratio</b> = ops/s of the variant / ops/s of the raw-JDBC baseline (goal ≥ 0.9); "
                + "<i>jdbc_single</i> sends a batch one row at a time.</p>\n");

        h.append("<h2>Library vs raw JDBC</h2>\n<table>\n<tr><th class=\"l\">path</th><th class=\"l\">params</th><th>threads</th>"
                + "<th class=\"l\">variant</th><th>ops/s</th><th>items/s</th><th>p50 µs</th><th>p99 µs</th><th>ratio</th></tr>\n");
        Map<String, Map<String, BenchMain.Line>> byKey = BenchMain.byKey(lines);
        for (var e : byKey.entrySet()) {
            BenchMain.Line jdbc = e.getValue().get("jdbc");
            for (BenchMain.Line l : e.getValue().values()) {
                double ratio = jdbc == null ? Double.NaN : l.opsPerSec() / jdbc.opsPerSec();
                String cls = Double.isNaN(ratio) || l.variant().equals("jdbc") ? "" : ratio >= 0.9 ? " class=\"good\"" : " class=\"bad\"";
                h.append(String.format(Locale.ROOT, "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%d</td><td class=\"l\">%s</td>"
                                + "<td>%,.1f</td><td>%,.1f</td><td>%,.1f</td><td>%,.1f</td><td%s>%s</td></tr>%n",
                        esc(l.group()), esc(BenchMain.params(l)), l.threads(), esc(l.variant()), l.opsPerSec(), l.opsPerSec() * l.perOp(),
                        l.p50us(), l.p99us(), cls, Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.2f", ratio)));
            }
        }
        h.append("</table>\n");

        Map<String, Double> scenario = run.scenarioRatios;
        if (!scenario.isEmpty()) {
            h.append("<h2>Queue at scale</h2>\n<table>\n<tr><th class=\"l\">ratio</th><th>value</th></tr>\n");
            scenario.forEach((k, v) -> h.append(String.format(Locale.ROOT, "<tr><td class=\"l\">%s</td><td>%.2f</td></tr>%n", esc(k), v)));
            h.append("</table>\n");
        }

        h.append("<h2>Charts</h2>\n");
        int n = 0;
        h.append(figure(++n, "Library / raw-JDBC ratio per path (same run)", ratioSvg));
        for (BenchRun.Chart c : run.charts) {
            Path svg = run.out.resolve(c.file());
            if (!Files.exists(svg)) {
                throw new IllegalStateException("chart " + c.file() + " was not written by its step");
            }
            h.append(figure(++n, c.title(), Files.readString(svg)));
        }

        if (!run.sections.isEmpty()) {
            h.append("<h2>Scenario output</h2>\n");
            for (BenchRun.Section s : run.sections) {
                h.append("<h3>").append(esc(s.title())).append("</h3>\n<pre>").append(esc(s.text())).append("</pre>\n");
            }
        }

        h.append("<h2>Steps</h2>\n<table>\n<tr><th>#</th><th class=\"l\">step</th><th>planned s</th><th>took s</th></tr>\n");
        int k = 0;
        for (BenchRun.StepTime t : run.steps) {
            h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td class=\"l\">%s</td><td>%.0f</td><td>%.1f</td></tr>%n", ++k, esc(t.name()),
                    t.budgetSeconds(), t.seconds()));
        }
        h.append("</table>\n</body>\n</html>\n");
        return h.toString();
    }

    static String figure(int n, String title, String svg) {
        String inline = svg.strip();
        if (inline.startsWith("<?xml")) {
            inline = inline.substring(inline.indexOf("?>") + 2).strip();
        }
        return "<figure class=\"chart\" id=\"chart-" + n + "\">\n<figcaption>" + esc(title) + "</figcaption>\n" + inline + "\n</figure>\n";
    }

    static String esc(String s) {
        return Charts.esc(s);
    }
}
