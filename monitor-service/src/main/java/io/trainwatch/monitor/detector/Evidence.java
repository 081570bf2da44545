package io.trainwatch.monitor.detector;

import java.util.LinkedHashMap;
import java.util.Map;

/** A small builder of the ordered evidence map of an alert: numbers only, rounded to 6 significant digits. */
public final class Evidence {

    private final Map<String, Double> values = new LinkedHashMap<>();

    public static Evidence of(String key, double value) {
        return new Evidence().and(key, value);
    }

    public Evidence and(String key, double value) {
        values.put(key, round(value));
        return this;
    }

    public Map<String, Double> map() {
        return values;
    }

    static double round(double v) {
        if (!Double.isFinite(v) || v == 0) {
            return v;
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue();
    }
}
