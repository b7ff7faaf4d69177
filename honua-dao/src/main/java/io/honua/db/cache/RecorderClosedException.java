package io.honua.db.cache;

import io.honua.db.core.ConflictException;

/** {@link CacheAccessRecorder#record} was called after {@link CacheAccessRecorder#close()} began. Not accepted. */
public class RecorderClosedException extends ConflictException {

    private static final long serialVersionUID = 1L;

    public RecorderClosedException(String message) {
        super(message);
    }
}
