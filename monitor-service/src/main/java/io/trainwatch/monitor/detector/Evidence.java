package io.trainwatch.monitor.detector;

import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A small builder of the ordered evidence map of an alert: numbers only, rounded to 6 significant digits.
 *
 * <p>Detectors build their evidence on every step, but it is read only when an alert is raised or resolved
 * (a few times per run): the raw numbers are kept and rounded on first read of the {@link #map()}. The exact
 * rounding (BigDecimal, half-up) cost 27 % of the monitor's stream thread when done per step (JFR profile).
 */
public final class Evidence {

    private String[] keys = new String[6];
    private double[] values = new double[6];
    private int size;
    /** Set by {@link #map()}, which shares the arrays: a later {@link #and} copies them first. */
    private boolean shared;

    public static Evidence of(String key, double value) {
        return new Evidence().and(key, value);
    }

    public Evidence and(String key, double value) {
        if (shared) {
            keys = keys.clone();
            values = values.clone();
            shared = false;
        }
        for (int i = 0; i < size; i++) {
            if (keys[i].equals(key)) {
                values[i] = value; // as a map's put: the key keeps its place
                return this;
            }
        }
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        keys[size] = key;
        values[size] = value;
        size++;
        return this;
    }

    /** The evidence so far, in order, rounded when first read; later {@link #and} calls do not change it. */
    public Map<String, Double> map() {
        // Most maps are dropped unread (a detector's condition on a step that changes nothing): no copy here.
        shared = true;
        return new Rounded(keys, values, size);
    }

    static double round(double v) {
        if (!Double.isFinite(v) || v == 0) {
            return v;
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue();
    }

    /** An unmodifiable ordered map of rounded values, computed on its first read. */
    private static final class Rounded extends AbstractMap<String, Double> {
        private final String[] keys;
        private final double[] raw;
        private final int size;
        private Map<String, Double> rounded;

        Rounded(String[] keys, double[] raw, int size) {
            this.keys = keys;
            this.raw = raw;
            this.size = size;
        }

        private Map<String, Double> rounded() {
            if (rounded == null) {
                Map<String, Double> m = new LinkedHashMap<>(size * 2);
                for (int i = 0; i < size; i++) {
                    m.put(keys[i], round(raw[i]));
                }
                rounded = Collections.unmodifiableMap(m);
            }
            return rounded;
        }

        @Override
        public Set<Entry<String, Double>> entrySet() {
            return rounded().entrySet();
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public Double get(Object key) {
            return rounded().get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return rounded().containsKey(key);
        }
    }
}
