package io.honua.db.metrics;

import io.honua.db.internal.Checks;
import io.honua.db.core.InvalidRequestException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;

/**
 * One sample of a build metric: a name (1..200 characters), a finite value, labels (string keys and values; stored as
 * a JSON object in {@code build_metrics.labels}) and the time it was taken, kept to the millisecond.
 * Invalid values throw {@link InvalidRequestException}.
 */
public record MetricSample(String name, double value, Map<String, String> labels, Instant at) {

    public MetricSample {
        Checks.text(name, "name", 200);
        if (name.indexOf('\0') >= 0) {
            throw new InvalidRequestException("metric name must not contain NUL characters");
        }
        if (!Double.isFinite(value)) {
            throw new InvalidRequestException("metric value must be finite, got " + value);
        }
        Checks.notNull(labels, "labels");
        TreeMap<String, String> copy = new TreeMap<>();
        labels.forEach((k, v) -> {
            Checks.text(k, "label name", 200);
            Checks.notNull(v, "label value of " + k);
            if (v.length() > 1000) {
                throw new InvalidRequestException("label value of " + k + " must be at most 1000 characters");
            }
            if (k.indexOf('\0') >= 0 || v.indexOf('\0') >= 0) {
                throw new InvalidRequestException("labels must not contain NUL characters");
            }
            copy.put(k, v);
        });
        labels = java.util.Collections.unmodifiableMap(copy);
        Checks.notNull(at, "at");
        at = at.truncatedTo(ChronoUnit.MILLIS);
    }

    /** A sample without labels. */
    public static MetricSample of(String name, double value, Instant at) {
        return new MetricSample(name, value, Map.of(), at);
    }

    /** The same sample with these labels. */
    public MetricSample withLabels(Map<String, String> labels) {
        return new MetricSample(name, value, labels, at);
    }
}
