package io.honua.db.queue;

/** The build was cancelled while this worker held it; the worker must stop and not report a result. */
public final class BuildCancelledException extends LeaseLostException {

    private static final long serialVersionUID = 1L;

    public BuildCancelledException(String message) {
        super(message);
    }
}
