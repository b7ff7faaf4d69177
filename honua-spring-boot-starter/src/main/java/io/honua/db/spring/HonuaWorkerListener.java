package io.honua.db.spring;

import io.honua.db.queue.BuildWorker;

/** Told about each {@link BuildWorker} the starter starts (the meters use it); every bean of this type is called. */
@FunctionalInterface
public interface HonuaWorkerListener {

    /** Called once per worker, right after it started. */
    void started(BuildWorker worker);
}
