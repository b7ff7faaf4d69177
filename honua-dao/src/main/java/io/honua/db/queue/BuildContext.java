package io.honua.db.queue;

/** What a {@link BuildHandler} can tell the queue while it runs, and ask it. */
public interface BuildContext {

    /** Reports progress (0..100) and the current step; also extends the lease. */
    void progress(int percent, String currentStep);

    /** True once the build was cancelled, its lease was lost, or the worker is shutting down hard. */
    boolean isStopped();
}
