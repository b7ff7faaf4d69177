package io.honua.db.spring;

import io.honua.db.HonuaDb;
import io.honua.db.queue.BuildHandler;
import io.honua.db.queue.BuildWorker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The {@link BuildWorker}s of the application: one per {@link BuildHandler} bean, started with the context and closed
 * with it. Each worker claims from the whole queue (there is no routing by build type: one handler bean is the usual
 * set-up). Closing stops claiming, lets running builds finish within {@code honua.worker.shutdown-grace} and releases
 * the rest to the queue, before the DataSource is closed; workers are closed in parallel.
 */
public final class HonuaWorkers implements SmartLifecycle {

    private static final Log LOG = LogFactory.getLog(HonuaWorkers.class);

    private final HonuaDb honua;
    private final HonuaProperties.Worker settings;
    private final Map<String, BuildHandler> handlers;
    private final List<HonuaWorkerListener> listeners;
    private final List<BuildWorker> workers = new ArrayList<>();
    private volatile boolean running;

    public HonuaWorkers(HonuaDb honua, HonuaProperties.Worker settings, Map<String, BuildHandler> handlers,
                        List<HonuaWorkerListener> listeners) {
        this.honua = honua;
        this.settings = settings;
        this.handlers = new LinkedHashMap<>(handlers);
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        String base = settings.getId() == null || settings.getId().isBlank() ? defaultId() : settings.getId().strip();
        for (Map.Entry<String, BuildHandler> e : handlers.entrySet()) {
            String id = handlers.size() == 1 ? base : base + "-" + e.getKey();
            BuildWorker worker = honua.worker(id, e.getValue())
                    .maxConcurrent(settings.getConcurrency())
                    .batchSize(settings.getBatchSize())
                    .pollInterval(settings.getPollInterval())
                    .shutdownGrace(settings.getShutdownGrace())
                    .start();
            workers.add(worker);
            listeners.forEach(l -> l.started(worker));
            LOG.info("Honua build worker " + id + " started (handler " + e.getKey() + ", concurrency "
                    + settings.getConcurrency() + ")");
        }
        running = true;
    }

    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        try (var closer = Executors.newVirtualThreadPerTaskExecutor()) {
            for (BuildWorker w : workers) {
                closer.submit(() -> {
                    w.close();
                    LOG.info("Honua build worker " + w.workerId() + " stopped (" + w.completedCount() + " builds completed)");
                });
            }
        } // waits for every close
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the beans the handlers use are destroyed, after most other lifecycles. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 512;
    }

    /** The workers started so far (after stop they stay listed, closed). */
    public synchronized List<BuildWorker> workers() {
        return List.copyOf(workers);
    }

    private static String defaultId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "honua";
            }
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
