package io.honua.db.intake;

import io.honua.db.queue.BuildQueue;
import java.util.Objects;
import org.jooq.DSLContext;

/**
 * The AI intake system: {@link #conversations()}, {@link #manifests()}, {@link #extractions()} and
 * {@link #analytics()}. Obtain it from {@code HonuaDb.intake()}. Thread-safe; each part documents its guarantees.
 */
public final class Intake {

    private final Conversations conversations;
    private final Manifests manifests;
    private final Extractions extractions;
    private final IntakeAnalytics analytics;

    Intake(DSLContext dsl, BuildQueue queue) {
        Objects.requireNonNull(dsl, "dsl");
        this.conversations = new Conversations(dsl);
        this.manifests = new Manifests(dsl, Objects.requireNonNull(queue, "queue"));
        this.extractions = new Extractions(dsl);
        this.analytics = new IntakeAnalytics(dsl);
    }

    public Conversations conversations() {
        return conversations;
    }

    public Manifests manifests() {
        return manifests;
    }

    public Extractions extractions() {
        return extractions;
    }

    public IntakeAnalytics analytics() {
        return analytics;
    }
}
