package io.trainwatch.monitor.live;

import io.trainwatch.events.Alert;
import io.trainwatch.events.RunConfig;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the live page knows of one run: its configuration, status and latest figures, a bounded
 * {@link Series} per metric and per layer, its last alerts and its tuner actions. Guarded by the
 * {@link LiveStore}'s lock.
 */
final class LiveRun {

    static final String RUNNING = "running";
    /** A trial on tuner.trials whose trainer has sent nothing yet. */
    static final String QUEUED = "queued";

    final String runId;
    String studyId;
    String trialId;
    String scenario;
    LiveViews.RunConfigView config;
    /** Whether the next push must carry the config (it is left out of pushes otherwise). */
    boolean configChanged;
    String backend;
    String device;
    Instant startedAt;
    String status = RUNNING;
    LiveViews.Finished finished;
    long updatedMillis;
    Instant lastEventAt;

    long step = -1;
    int epoch;
    Double loss;
    Double accuracy;
    Double learningRate;
    Double gradientNorm;
    Double validationLoss;
    Double validationAccuracy;
    long validationStep = -1;
    long ignored;

    /** Series by name, in the order they first appeared; per-layer series are {@code grad:<layer>}. */
    final Map<String, Series> series = new LinkedHashMap<>();
    int layers;
    final Deque<Alert> alerts = new ArrayDeque<>();
    final Set<String> alertKeys = new HashSet<>();
    /** Detectors whose last alert is firing. */
    final Map<String, Alert> active = new LinkedHashMap<>();
    int firingTotal;
    /** Tuner actions by command id, oldest first. */
    final LinkedHashMap<String, LiveAction> actions = new LinkedHashMap<>();

    LiveRun(String runId) {
        this.runId = runId;
    }

    void started(RunConfig c) {
        scenario = c.scenario();
        List<String> ls = new ArrayList<>();
        if (c.layers() != null) {
            c.layers().stream().limit(64).forEach(l -> ls.add(l.name() + " " + l.type() + " " + l.nIn() + "->" + l.nOut()
                    + (l.activation() == null ? "" : " " + l.activation())));
        }
        config = new LiveViews.RunConfigView(c.dataset(), c.numClasses(), c.lossFunction(), c.optimizer(),
                c.learningRate(), c.batchSize(), c.epochs(), c.l2(), c.dropout(), c.seed(),
                c.layers() == null ? null : List.copyOf(ls));
        configChanged = true;
    }

    /** Heap held by the series (the bulk of a run); the rest is a few hundred bytes plus alerts and actions. */
    long seriesBytes() {
        return series.values().stream().mapToLong(Series::bytes).sum();
    }

    LiveViews.RunSummary summary() {
        return new LiveViews.RunSummary(runId, studyId, trialId, scenario, status, step, epoch,
                new LiveViews.Latest(loss, accuracy, learningRate, gradientNorm, validationLoss, validationAccuracy),
                new LiveViews.AlertCounts(active.size(), firingTotal, List.copyOf(active.keySet())), actions.size(),
                startedAt, lastEventAt, Instant.ofEpochMilli(updatedMillis), finished, config, backend, device, ignored);
    }
}
