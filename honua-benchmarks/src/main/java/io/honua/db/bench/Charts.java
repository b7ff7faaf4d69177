package io.honua.db.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Minimal SVG charts, no dependencies. Every data series is one {@code <g class='series'>} element (a bar with its
 * value, or a line with its points and legend), so that a report test can count what a browser rendered.
 */
final class Charts {

    private Charts() {
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Horizontal bars of library/baseline ratios with the 0.9 goal line and 1.0. */
    static void ratioChart(Map<String, Double> ratios, Path file, String title) throws IOException {
        Files.writeString(file, ratioSvg(ratios, title));
    }

    /** The ratio chart as SVG text (one series element per ratio). */
    static String ratioSvg(Map<String, Double> ratios, String title) {
        int rowH = 26;
        int left = 360;
        int width = 900;
        int plot = width - left - 60;
        double max = Math.max(1.2, ratios.values().stream().filter(d -> !d.isNaN()).mapToDouble(d -> d).max().orElse(1.2) * 1.1);
        int height = 70 + rowH * ratios.size();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' font-family='sans-serif' font-size='12'>%n",
                width, height, width, height));
        s.append("<rect width='100%' height='100%' fill='white'/>\n");
        s.append(String.format("<text x='10' y='20' font-size='15'>%s</text>%n", esc(title)));
        int y = 40;
        for (var e : ratios.entrySet()) {
            double r = e.getValue().isNaN() ? 0 : e.getValue();
            int w = (int) (plot * r / max);
            String color = r >= 0.9 ? "#3a7d44" : "#c0392b";
            s.append("<g class='series'>\n");
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='end'>%s</text>%n", left - 8, y + 16, esc(e.getKey())));
            s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='%s'/>%n", left, y + 4, w, rowH - 8, color));
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d'>%.2f</text>%n", left + w + 5, y + 16, r));
            s.append("</g>\n");
            y += rowH;
        }
        for (double mark : List.of(0.9, 1.0)) {
            int x = left + (int) (plot * mark / max);
            s.append(String.format(Locale.ROOT, "<line x1='%d' y1='35' x2='%d' y2='%d' stroke='%s' stroke-dasharray='4'/>%n", x, x, y + 4,
                    mark == 1.0 ? "#555" : "#e67e22"));
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle' fill='#555'>%.1f</text>%n", x, y + 18, mark));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** A line chart: x = label, one series per name. */
    static void lineChart(String title, String yLabel, List<String> xs, Map<String, List<Double>> series, Path file) throws IOException {
        Files.writeString(file, lineSvg(title, yLabel, xs, series));
    }

    /** The line chart as SVG text (one series element per named series). */
    static String lineSvg(String title, String yLabel, List<String> xs, Map<String, List<Double>> series) {
        int width = 800;
        int height = 420;
        int left = 80;
        int bottom = 60;
        int top = 40;
        int plotW = width - left - 200;
        int plotH = height - top - bottom;
        double max = series.values().stream().flatMap(List::stream).mapToDouble(d -> d).max().orElse(1) * 1.15;
        String[] colors = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' font-family='sans-serif' font-size='12'>%n",
                width, height, width, height));
        s.append("<rect width='100%' height='100%' fill='white'/>\n");
        s.append(String.format("<text x='10' y='22' font-size='15'>%s</text>%n", esc(title)));
        s.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", left, top, left, top + plotH));
        s.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", left, top + plotH, left + plotW, top + plotH));
        s.append(String.format(Locale.ROOT, "<text x='15' y='%d' transform='rotate(-90 15 %d)'>%s</text>%n", top + plotH / 2, top + plotH / 2, esc(yLabel)));
        for (int i = 0; i <= 4; i++) {
            double v = max * i / 4;
            int y = top + plotH - (int) (plotH * i / 4.0);
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='end'>%.0f</text>%n", left - 5, y + 4, v));
            s.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#eee'/>%n", left, y, left + plotW, y));
        }
        for (int i = 0; i < xs.size(); i++) {
            int x = left + (xs.size() == 1 ? plotW / 2 : plotW * i / (xs.size() - 1));
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>%s</text>%n", x, top + plotH + 20, esc(xs.get(i))));
        }
        int legend = 0;
        for (var e : series.entrySet()) {
            String color = colors[legend % colors.length];
            s.append("<g class='series'>\n");
            StringBuilder pts = new StringBuilder();
            List<Double> vs = e.getValue();
            for (int i = 0; i < vs.size(); i++) {
                int x = left + (xs.size() == 1 ? plotW / 2 : plotW * i / (xs.size() - 1));
                int y = top + plotH - (int) (plotH * vs.get(i) / max);
                pts.append(x).append(',').append(y).append(' ');
                s.append(String.format(Locale.ROOT, "<circle cx='%d' cy='%d' r='4' fill='%s'/>%n", x, y, color));
                s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='%s'>%.0f</text>%n", x + 6, y - 6, color, vs.get(i)));
            }
            s.append(String.format("<polyline points='%s' fill='none' stroke='%s' stroke-width='2'/>%n", pts.toString().trim(), color));
            s.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='%s'>%s</text>%n", left + plotW + 15, top + 20 + legend * 18, color, esc(e.getKey())));
            s.append("</g>\n");
            legend++;
        }
        s.append("</svg>\n");
        return s.toString();
    }
}
