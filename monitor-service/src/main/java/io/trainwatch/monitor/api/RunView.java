package io.trainwatch.monitor.api;

import io.trainwatch.monitor.engine.RunState;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The latest numbers of one run as the REST API and the per-run gauges show them: written by the stream
 * thread that owns the run, read by anyone (volatile fields, no locks).
 */
public final class RunView {

    /** Per-layer gradient norms kept per run at most (bounds the gauges' cardinality). */
    public static final int MAX_LAYERS = 32;

    public final String runId;
    volatile String status = "running";
    volatile String scenario;
    volatile long step = -1;
    volatile int epoch;
    volatile double loss = Double.NaN;
    volatile double smoothedLoss = Double.NaN;
    volatile double accuracy = Double.NaN;
    volatile double learningRate = Double.NaN;
    volatile double validationLoss = Double.NaN;
    volatile double validationAccuracy = Double.NaN;
    volatile long events;
    volatile int activeAlerts;
    volatile long lastSeenMillis;
    /** Per layer, the latest gradient norm; guarded by itself, as is {@link #layerUpdateRatios}. */
    final Map<String, double[]> layerGradientNorms = new LinkedHashMap<>();
    /** Per layer, the latest update:parameter ratio (DL4J UI's learning-rate-scale signal). */
    final Map<String, double[]> layerUpdateRatios = new LinkedHashMap<>();

    RunView(String runId) {
        this.runId = runId;
    }

    void update(RunState s, Map<String, Double> layers, Map<String, Double> ratios, long nowMillis) {
        status = s.statusName();
        scenario = s.scenario;
        step = s.lastStep;
        epoch = s.lastEpoch;
        loss = s.loss;
        smoothedLoss = s.ema;
        accuracy = s.accuracy;
        learningRate = s.learningRate;
        validationLoss = s.validationLoss;
        validationAccuracy = s.validationAccuracy;
        activeAlerts = Integer.bitCount(s.activeMask);
        events++;
        lastSeenMillis = nowMillis;
        if (layers != null || ratios != null) {
            synchronized (layerGradientNorms) {
                copy(layers, layerGradientNorms);
                copy(ratios, layerUpdateRatios);
            }
        }
    }

    /** Latest values per layer, at most {@code MAX_LAYERS} layers, so that gauges stay bounded. */
    private static void copy(Map<String, Double> from, Map<String, double[]> to) {
        if (from == null) {
            return;
        }
        for (Map.Entry<String, Double> e : from.entrySet()) {
            double[] holder = to.get(e.getKey());
            if (holder == null && to.size() < MAX_LAYERS) {
                holder = new double[1];
                to.put(e.getKey(), holder);
            }
            if (holder != null) {
                holder[0] = e.getValue() == null ? Double.NaN : e.getValue();
            }
        }
    }

    public double loss() {
        return loss;
    }

    public double accuracy() {
        return accuracy;
    }

    public double learningRate() {
        return learningRate;
    }

    public double validationLoss() {
        return validationLoss;
    }

    public double validationAccuracy() {
        return validationAccuracy;
    }

    /** The JSON shape of {@code GET /runs}: numbers that are not known are left out. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runId", runId);
        m.put("status", status);
        if (scenario != null) {
            m.put("scenario", scenario);
        }
        m.put("step", step);
        m.put("epoch", epoch);
        m.put("events", events);
        m.put("activeAlerts", activeAlerts);
        m.put("lastSeen", Instant.ofEpochMilli(lastSeenMillis).toString());
        Map<String, Object> metrics = new LinkedHashMap<>();
        put(metrics, "loss", loss);
        put(metrics, "smoothedLoss", smoothedLoss);
        put(metrics, "accuracy", accuracy);
        put(metrics, "learningRate", learningRate);
        put(metrics, "validationLoss", validationLoss);
        put(metrics, "validationAccuracy", validationAccuracy);
        m.put("metrics", metrics);
        return m;
    }

    private static void put(Map<String, Object> m, String key, double v) {
        if (Double.isFinite(v)) {
            m.put(key, v);
        } else if (!Double.isNaN(v) || key.equals("loss")) {
            m.put(key, Double.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
    }
}
