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
    Map<String, Object> config;
    /** Whether the next push must carry the config (it is left out of pushes otherwise). */
    boolean configChanged;
    String backend;
    String device;
    Instant startedAt;
    String status = RUNNING;
    Map<String, Object> finished;
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
    final LinkedHashMap<String, Map<String, Object>> actions = new LinkedHashMap<>();

    LiveRun(String runId) {
        this.runId = runId;
    }

    void started(RunConfig c) {
        scenario = c.scenario();
        Map<String, Object> m = new LinkedHashMap<>();
        put(m, "dataset", c.dataset());
        put(m, "numClasses", c.numClasses());
        put(m, "lossFunction", c.lossFunction());
        put(m, "optimizer", c.optimizer());
        put(m, "learningRate", c.learningRate());
        put(m, "batchSize", c.batchSize());
        put(m, "epochs", c.epochs());
        put(m, "l2", c.l2());
        put(m, "dropout", c.dropout());
        put(m, "seed", c.seed());
        if (c.layers() != null) {
            List<String> ls = new ArrayList<>();
            c.layers().stream().limit(64).forEach(l -> ls.add(l.name() + " " + l.type() + " " + l.nIn() + "->" + l.nOut()
                    + (l.activation() == null ? "" : " " + l.activation())));
            m.put("layers", ls);
        }
        config = m;
        configChanged = true;
    }

    private static void put(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    /** Heap held by the series (the bulk of a run); the rest is a few hundred bytes plus alerts and actions. */
    long seriesBytes() {
        return series.values().stream().mapToLong(Series::bytes).sum();
    }

    Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runId", runId);
        put(m, "studyId", studyId);
        put(m, "trialId", trialId);
        put(m, "scenario", scenario);
        m.put("status", status);
        m.put("step", step);
        m.put("epoch", epoch);
        Map<String, Object> latest = new LinkedHashMap<>();
        latest.put("loss", loss);
        latest.put("accuracy", accuracy);
        latest.put("learningRate", learningRate);
        latest.put("gradientNorm", gradientNorm);
        latest.put("validationLoss", validationLoss);
        latest.put("validationAccuracy", validationAccuracy);
        m.put("latest", latest);
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("firing", active.size());
        a.put("total", firingTotal);
        a.put("active", List.copyOf(active.keySet()));
        m.put("alerts", a);
        m.put("actions", actions.size());
        put(m, "startedAt", startedAt);
        put(m, "lastEventAt", lastEventAt);
        m.put("updatedAt", Instant.ofEpochMilli(updatedMillis));
        put(m, "finished", finished);
        put(m, "config", config);
        put(m, "backend", backend);
        put(m, "device", device);
        m.put("ignoredEvents", ignored);
        return m;
    }
}
