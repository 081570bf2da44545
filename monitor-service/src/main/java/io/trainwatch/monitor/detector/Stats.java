package io.trainwatch.monitor.detector;

import io.trainwatch.events.LayerMap;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/** Small numeric helpers shared by the detectors: safe logarithms, EMAs, the first and last layer values. */
public final class Stats {

    /** Values below this are treated as this, so that log10 of a zero norm is finite (-30). */
    public static final double TINY = 1e-30;

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[64]);

    private Stats() {
    }

    public static double log10(double v) {
        return Math.log10(Math.max(v, TINY));
    }

    /** The EMA after {@code value}; the first value starts it. */
    public static double ema(double current, double value, double alpha) {
        return Double.isNaN(current) ? value : current + alpha * (value - current);
    }

    public static boolean finite(Double v) {
        return v != null && Double.isFinite(v);
    }

    /** The first (input-side) value of a layer map, or NaN. */
    public static double first(Map<String, Double> layers) {
        if (layers == null || layers.isEmpty()) {
            return Double.NaN;
        }
        Double v = layers instanceof LayerMap l ? l.first() : layers.values().iterator().next();
        return v == null ? Double.NaN : v;
    }

    /** The last (output-side) value of a layer map, or NaN. */
    public static double last(Map<String, Double> layers) {
        if (layers == null || layers.isEmpty()) {
            return Double.NaN;
        }
        Double v = null;
        if (layers instanceof LayerMap l) {
            v = l.last();
        } else {
            for (Double d : layers.values()) {
                v = d;
            }
        }
        return v == null ? Double.NaN : v;
    }

    /** The largest value of all layers but the last (the hidden layers), or NaN with fewer than two layers. */
    public static double maxHidden(Map<String, Double> layers) {
        if (layers == null || layers.size() < 2) {
            return Double.NaN;
        }
        double max = Double.NEGATIVE_INFINITY;
        Iterator<Double> it = layers.values().iterator();
        for (int i = 0; i < layers.size() - 1; i++) {
            Double v = it.next();
            if (v == null || Double.isNaN(v)) {
                return Double.NaN;
            }
            max = Math.max(max, v);
        }
        return max;
    }

    /** Whether any layer value is NaN or infinite. */
    public static boolean anyNonFinite(Map<String, Double> layers) {
        if (layers == null) {
            return false;
        }
        for (Double v : layers.values()) {
            if (v != null && !Double.isFinite(v)) {
                return true;
            }
        }
        return false;
    }

    /** The median of the first {@code n} entries of {@code window} (n <= length), NaN when n is 0. */
    public static double median(float[] window, int n) {
        if (n <= 0) {
            return Double.NaN;
        }
        float[] copy = SCRATCH.get(); // per step per run: no garbage
        if (copy.length < n) {
            copy = new float[n];
            SCRATCH.set(copy);
        }
        System.arraycopy(window, 0, copy, 0, n);
        Arrays.sort(copy, 0, n);
        return n % 2 == 1 ? copy[n / 2] : (copy[n / 2 - 1] + (double) copy[n / 2]) / 2;
    }
}
