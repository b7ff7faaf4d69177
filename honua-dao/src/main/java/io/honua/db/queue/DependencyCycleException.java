package io.honua.db.queue;

import io.honua.db.core.InvalidRequestException;

/** The dependency would make a build (transitively) depend on itself. Nothing was added. */
public class DependencyCycleException extends InvalidRequestException {

    private static final long serialVersionUID = 1L;

    public DependencyCycleException(String message) {
        super(message);
    }

    public DependencyCycleException(String message, Throwable cause) {
        super(message, cause);
    }
}
