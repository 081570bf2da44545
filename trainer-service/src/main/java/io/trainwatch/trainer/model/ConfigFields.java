package io.trainwatch.trainer.model;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads one typed field of a request's configuration (JSON as a map), or throws an {@link InvalidConfigException}
 * that names the field and says what it must be: the checks every parser of a run configuration shares.
 */
final class ConfigFields {

    private ConfigFields() {
    }

    static int requiredInteger(Map<String, ?> m, String field, int min, int max) {
        if (m.get(field) == null) {
            throw new InvalidConfigException(field, "is required, a whole number in [" + min + ", " + max + "]");
        }
        return integer(m, field, 0, min, max);
    }

    /** A number in (0, 1]. */
    static double fraction(Map<String, ?> m, String field) {
        Object v = m.get(field);
        if (v == null) {
            throw new InvalidConfigException(field, "is required, a number in (0, 1]");
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0
                || n.doubleValue() > 1) {
            throw new InvalidConfigException(field, "must be a number in (0, 1], was " + v);
        }
        return n.doubleValue();
    }

    /** A finite learning rate > 0 (at most 1000, as {@code learningRate}). */
    static double positive(Map<String, ?> m, String field) {
        Object v = m.get(field);
        if (v == null) {
            throw new InvalidConfigException(field, "is required, a learning rate > 0");
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0
                || n.doubleValue() > 1000) {
            throw new InvalidConfigException(field, "must be a finite learning rate in (0, 1000], was " + v);
        }
        return n.doubleValue();
    }

    static boolean flag(Map<String, ?> config, String field, boolean fallback) {
        Object v = config.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw new InvalidConfigException(field, "must be true or false, was '" + v + "'");
        }
        return b;
    }

    static int fixed(Map<String, ?> config, String field, int value) {
        Object v = config.get(field);
        if (v != null && (!(v instanceof Number n) || n.intValue() != value)) {
            throw new InvalidConfigException(field, "is always " + value + " for this data set");
        }
        return value;
    }

    static String text(Map<String, ?> config, String field) {
        Object v = config.get(field);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new InvalidConfigException(field, "is required");
        }
        return s;
    }

    static String oneOf(Map<String, ?> config, String field, String fallback, Set<String> allowed) {
        Object v = config.get(field);
        if (v == null) {
            if (fallback == null) {
                throw new InvalidConfigException(field, "is required, one of " + new TreeSet<>(allowed));
            }
            return fallback;
        }
        if (!(v instanceof String s)) {
            throw new InvalidConfigException(field, "must be a string, one of " + new TreeSet<>(allowed));
        }
        String n = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        if (field.equals("activation") || field.equals("optimizer") || field.equals("loss")) {
            n = n.replace("_", "");
        }
        if (!allowed.contains(n)) {
            throw new InvalidConfigException(field, "must be one of " + new TreeSet<>(allowed) + ", was '" + s + "'");
        }
        return n;
    }

    static double number(Map<String, ?> config, String field, double fallback, double min, double max) {
        Object v = config.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n)) {
            throw new InvalidConfigException(field, "must be a number, was '" + v + "'");
        }
        double d = n.doubleValue();
        if (!Double.isFinite(d) || d < min || d > max) {
            throw new InvalidConfigException(field, "must be in [" + min + ", " + max + "], was " + d);
        }
        return d;
    }

    static int integer(Map<String, ?> config, String field, int fallback, int min, int max) {
        Object v = config.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new InvalidConfigException(field, "must be a whole number, was '" + v + "'");
        }
        double d = n.doubleValue();
        if (d < min || d > max) {
            throw new InvalidConfigException(field, "must be in [" + min + ", " + max + "], was " + n);
        }
        return (int) d;
    }
}
