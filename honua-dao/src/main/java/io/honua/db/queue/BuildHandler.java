package io.honua.db.queue;

/** The work a {@link BuildWorker} runs for each claimed build. */
@FunctionalInterface
public interface BuildHandler {

    /**
     * Runs one build. Return its {@link Completion} to complete it; throw to fail the attempt (it is retried with
     * backoff while attempts remain). When the build is cancelled or the lease is lost, the thread is interrupted
     * and {@link BuildContext#isStopped()} turns true; whatever is returned then is discarded.
     */
    Completion run(Build build, BuildContext context) throws Exception;
}
