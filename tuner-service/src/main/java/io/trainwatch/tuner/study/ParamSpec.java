package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Objects;

/**
 * The search range of one hyperparameter: {@code log-uniform} or {@code uniform} over [min, max],
 * {@code integer} over [min, max] (both included), or {@code categorical} over {@code values}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ParamSpec(String type, Double min, Double max, List<Object> values) {

    public static final String LOG_UNIFORM = "log-uniform";
    public static final String UNIFORM = "uniform";
    public static final String INTEGER = "integer";
    public static final String CATEGORICAL = "categorical";
    public static final List<String> TYPES = List.of(LOG_UNIFORM, UNIFORM, INTEGER, CATEGORICAL);

    public ParamSpec {
        Objects.requireNonNull(type, "type");
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("type must be one of " + TYPES + ", was '" + type + "'");
        }
        if (CATEGORICAL.equals(type)) {
            if (values == null || values.isEmpty()) {
                throw new IllegalArgumentException("values must hold at least one choice");
            }
            values = List.copyOf(values);
            min = null;
            max = null;
        } else {
            if (min == null || max == null || !Double.isFinite(min) || !Double.isFinite(max)) {
                throw new IllegalArgumentException("min and max must be finite numbers");
            }
            if (min > max) {
                throw new IllegalArgumentException("min must be <= max");
            }
            if (LOG_UNIFORM.equals(type) && min <= 0) {
                throw new IllegalArgumentException("min must be > 0 for log-uniform");
            }
            values = null;
        }
    }

    public static ParamSpec logUniform(double min, double max) {
        return new ParamSpec(LOG_UNIFORM, min, max, null);
    }

    public static ParamSpec uniform(double min, double max) {
        return new ParamSpec(UNIFORM, min, max, null);
    }

    public static ParamSpec integer(long min, long max) {
        return new ParamSpec(INTEGER, (double) min, (double) max, null);
    }

    public static ParamSpec categorical(List<?> values) {
        return new ParamSpec(CATEGORICAL, null, null, List.copyOf(values));
    }

    @JsonIgnore
    public boolean isNumeric() {
        return !CATEGORICAL.equals(type);
    }

    @JsonIgnore
    public boolean isLog() {
        return LOG_UNIFORM.equals(type);
    }

    /** The bound mapped into the space where sampling is uniform (log10 for log-uniform). */
    public double toSearch(double value) {
        return isLog() ? Math.log10(value) : value;
    }

    /** The inverse of {@link #toSearch(double)}. */
    public double fromSearch(double value) {
        return isLog() ? Math.pow(10, value) : value;
    }

    /** The same kind of range over new numeric bounds (integers rounded outwards, never inverted). */
    public ParamSpec withBounds(double newMin, double newMax) {
        if (!isNumeric()) {
            throw new IllegalStateException("categorical ranges have no bounds");
        }
        double lo = Math.min(newMin, newMax);
        double hi = Math.max(newMin, newMax);
        if (INTEGER.equals(type)) {
            lo = Math.floor(lo + 1e-9);
            hi = Math.ceil(hi - 1e-9);
            if (hi < lo) {
                hi = lo;
            }
        }
        return new ParamSpec(type, lo, hi, null);
    }

    /** Whether a value lies within this range (numbers by bounds, choices by equality). */
    public boolean contains(Object value) {
        if (CATEGORICAL.equals(type)) {
            return values.contains(value);
        }
        if (!(value instanceof Number n)) {
            return false;
        }
        double v = n.doubleValue();
        return v >= min - 1e-12 * Math.abs(min) && v <= max + 1e-12 * Math.abs(max);
    }
}
