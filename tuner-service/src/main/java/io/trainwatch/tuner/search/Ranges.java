package io.trainwatch.tuner.search;

import io.trainwatch.tuner.study.ParamSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coarse-to-fine narrowing and remedy adjustments of search ranges. Numeric ranges are handled in their
 * search space (log10 for log-uniform parameters), never leave the current range, and always keep at
 * least a given fraction of its width, so that a later round still explores.
 */
public final class Ranges {

    private Ranges() {
    }

    /**
     * CS231n's tuning procedure, coarse to fine: the next round's ranges around the best trials' values. Each numeric range becomes
     * the span of the top trials' values, widened by {@code margin} of that span on each side, at least
     * {@code minKeep} of the current width, and clipped to the current range; a categorical range keeps the
     * choices the top trials used. Parameters the top trials lack are left as they are.
     */
    public static Map<String, ParamSpec> narrow(Map<String, ParamSpec> current, List<Map<String, Object>> top,
                                                double margin, double minKeep) {
        Map<String, ParamSpec> out = new LinkedHashMap<>();
        for (Map.Entry<String, ParamSpec> e : current.entrySet()) {
            ParamSpec p = e.getValue();
            List<Object> values = new ArrayList<>();
            for (Map<String, Object> t : top) {
                Object v = t.get(e.getKey());
                if (v != null && (!p.isNumeric() || v instanceof Number n && Double.isFinite(n.doubleValue())
                        && (!p.isLog() || n.doubleValue() > 0))) {
                    values.add(v);
                }
            }
            if (values.isEmpty()) {
                out.put(e.getKey(), p);
                continue;
            }
            if (!p.isNumeric()) {
                List<Object> kept = new ArrayList<>();
                for (Object choice : p.values()) {
                    if (values.contains(choice)) {
                        kept.add(choice);
                    }
                }
                out.put(e.getKey(), kept.isEmpty() ? p : ParamSpec.categorical(kept));
                continue;
            }
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (Object v : values) {
                double s = p.toSearch(((Number) v).doubleValue());
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
            double cl = p.toSearch(p.min());
            double ch = p.toSearch(p.max());
            double span = hi - lo;
            lo -= span * margin;
            hi += span * margin;
            double keep = (ch - cl) * minKeep;
            if (hi - lo < keep) {
                double mid = (lo + hi) / 2;
                lo = mid - keep / 2;
                hi = mid + keep / 2;
            }
            // Shift rather than cut where the window sticks out of the current range.
            if (lo < cl) {
                hi += cl - lo;
                lo = cl;
            }
            if (hi > ch) {
                lo -= hi - ch;
                hi = ch;
            }
            lo = Math.max(lo, cl);
            out.put(e.getKey(), p.withBounds(p.fromSearch(lo), p.fromSearch(hi)));
        }
        return out;
    }

    /**
     * The range with its upper bound lowered to {@code value} (in search space), keeping at least
     * {@code minKeep} of the current width; unchanged when {@code value} is not below the bound.
     */
    public static ParamSpec lowerCeiling(ParamSpec p, double value, double minKeep) {
        if (!p.isNumeric() || !Double.isFinite(value) || (p.isLog() && value <= 0)) {
            return p;
        }
        double cl = p.toSearch(p.min());
        double ch = p.toSearch(p.max());
        double target = p.toSearch(value);
        if (target >= ch) {
            return p;
        }
        double hi = Math.max(target, cl + (ch - cl) * minKeep);
        return hi >= ch ? p : p.withBounds(p.min(), p.fromSearch(hi));
    }

    /**
     * The range with its lower bound raised to {@code value} (in search space), keeping at least
     * {@code minKeep} of the current width; unchanged when {@code value} is not above the bound.
     */
    public static ParamSpec raiseFloor(ParamSpec p, double value, double minKeep) {
        if (!p.isNumeric() || !Double.isFinite(value) || (p.isLog() && value <= 0)) {
            return p;
        }
        double cl = p.toSearch(p.min());
        double ch = p.toSearch(p.max());
        double target = p.toSearch(value);
        if (target <= cl) {
            return p;
        }
        double lo = Math.min(target, ch - (ch - cl) * minKeep);
        return lo <= cl ? p : p.withBounds(p.fromSearch(lo), p.max());
    }

    /** A short text of a range, e.g. {@code log-uniform[1.0e-04, 3.2e-02]} or {@code {relu, tanh}}. */
    public static String describe(ParamSpec p) {
        if (!p.isNumeric()) {
            return p.values().toString();
        }
        if (ParamSpec.INTEGER.equals(p.type())) {
            return "integer[" + p.min().longValue() + ", " + p.max().longValue() + "]";
        }
        return p.type() + "[" + fmt(p.min()) + ", " + fmt(p.max()) + "]";
    }

    public static String fmt(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        return a >= 1e-3 && a < 1e4 ? String.format(java.util.Locale.ROOT, "%.4g", v)
                : String.format(java.util.Locale.ROOT, "%.2e", v);
    }
}
