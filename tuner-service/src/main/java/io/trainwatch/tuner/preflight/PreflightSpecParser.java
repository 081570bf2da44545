package io.trainwatch.tuner.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.InvalidStudyException;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the {@code preflight} section of a study request: {@code true} (every step, defaults), {@code false}
 * or absent (none), or an object whose steps run unless set to {@code false} or {@code {"enabled": false}}.
 * Errors name the field, e.g. {@code preflight.lrRangeTest.to}; unknown fields are rejected.
 */
public final class PreflightSpecParser {

    public static final long MAX_STEPS = 100_000;
    private static final Set<String> FIELDS = Set.of("initialLoss", "overfitSubset", "lrRangeTest", "hyperparameters");
    private static final Set<String> INITIAL = Set.of("enabled", "steps", "tolerance", "onFailure");
    private static final Set<String> OVERFIT = Set.of("enabled", "batches", "maxSteps", "onFailure");
    private static final Set<String> RANGE = Set.of("enabled", "from", "to", "steps", "smoothing", "divergeFactor");

    private PreflightSpecParser() {
    }

    /** The preflight of a request, or null when it runs none. */
    public static PreflightSpec parse(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.asBoolean() ? PreflightSpec.defaults() : null;
        }
        if (!node.isObject()) {
            throw new InvalidStudyException("preflight", "must be true, false or an object {initialLoss, overfitSubset, lrRangeTest}");
        }
        rejectUnknown(node, "preflight.", FIELDS);
        PreflightSpec.InitialLoss initial = null;
        JsonNode n = step(node, "initialLoss");
        if (n != null) {
            String f = "preflight.initialLoss.";
            rejectUnknown(n, f, INITIAL);
            PreflightSpec.InitialLoss d = PreflightSpec.InitialLoss.defaults();
            double tolerance = number(n, "tolerance", f, d.tolerance());
            if (!(tolerance > 1) || tolerance > 100) {
                throw new InvalidStudyException(f + "tolerance", "must be a factor > 1 and <= 100, was " + tolerance);
            }
            initial = new PreflightSpec.InitialLoss((int) integer(n, "steps", f, d.steps(), 1, 1000), tolerance,
                    onFailure(n, f));
        }
        PreflightSpec.OverfitSubset overfit = null;
        n = step(node, "overfitSubset");
        if (n != null) {
            String f = "preflight.overfitSubset.";
            rejectUnknown(n, f, OVERFIT);
            PreflightSpec.OverfitSubset d = PreflightSpec.OverfitSubset.defaults();
            int batches = (int) integer(n, "batches", f, d.batches(), 1, 1000);
            long maxSteps = integer(n, "maxSteps", f, d.maxSteps(), 1, MAX_STEPS);
            if (maxSteps < batches) {
                throw new InvalidStudyException(f + "maxSteps", "must be >= batches (" + batches + "), was " + maxSteps);
            }
            overfit = new PreflightSpec.OverfitSubset(batches, maxSteps, onFailure(n, f));
        }
        PreflightSpec.LrRangeTest range = null;
        n = step(node, "lrRangeTest");
        if (n != null) {
            String f = "preflight.lrRangeTest.";
            rejectUnknown(n, f, RANGE);
            PreflightSpec.LrRangeTest d = PreflightSpec.LrRangeTest.defaults();
            double from = number(n, "from", f, d.from());
            double to = number(n, "to", f, d.to());
            if (!(from > 0)) {
                throw new InvalidStudyException(f + "from", "must be > 0, was " + from);
            }
            if (!(to > from * 1.01)) {
                throw new InvalidStudyException(f + "to", "must be above from (" + from + "), was " + to);
            }
            if (to > 1e6) {
                throw new InvalidStudyException(f + "to", "must be <= 1e6, was " + to);
            }
            long steps = integer(n, "steps", f, d.steps(), 10, MAX_STEPS);
            double smoothing = number(n, "smoothing", f, d.smoothing());
            if (!(smoothing >= 0) || !(smoothing < 1)) {
                throw new InvalidStudyException(f + "smoothing", "must be in [0, 1), was " + smoothing);
            }
            double factor = number(n, "divergeFactor", f, d.divergeFactor());
            if (!(factor > 1) || factor > 1000) {
                throw new InvalidStudyException(f + "divergeFactor", "must be > 1 and <= 1000, was " + factor);
            }
            range = new PreflightSpec.LrRangeTest(from, to, steps, smoothing, factor);
        }
        Map<String, Object> point = Map.of();
        JsonNode hp = node.get("hyperparameters");
        if (hp != null && !hp.isNull()) {
            if (!hp.isObject()) {
                throw new InvalidStudyException("preflight.hyperparameters", "must be an object: name -> value");
            }
            for (Iterator<String> it = hp.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!TrainerParameters.HYPERPARAMETERS.contains(name)) {
                    throw new InvalidStudyException("preflight.hyperparameters." + clip(name), "the trainer knows no "
                            + "hyperparameter '" + clip(name) + "' (known: " + new TreeSet<>(TrainerParameters.HYPERPARAMETERS) + ")");
                }
                JsonNode v = hp.get(name);
                if (!(v.isTextual() || v.isBoolean() || v.isNumber() && Double.isFinite(v.asDouble()) || v.isArray())) {
                    throw new InvalidStudyException("preflight.hyperparameters." + name, "must be a string, a finite number, a boolean or a list");
                }
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = EventCodec.MAPPER.convertValue(hp, LinkedHashMap.class);
            point = map;
        }
        PreflightSpec spec = new PreflightSpec(initial, overfit, range, point);
        return spec.any() ? spec : null;
    }

    /** The step's settings (an empty object for defaults), or null when it is off. */
    private static JsonNode step(JsonNode parent, String name) {
        JsonNode n = parent.get(name);
        String field = "preflight." + name;
        if (n == null || n.isNull()) {
            return EventCodec.MAPPER.createObjectNode();
        }
        if (n.isBoolean()) {
            return n.asBoolean() ? EventCodec.MAPPER.createObjectNode() : null;
        }
        if (!n.isObject()) {
            throw new InvalidStudyException(field, "must be true, false or an object");
        }
        JsonNode enabled = n.get("enabled");
        if (enabled != null && !enabled.isNull()) {
            if (!enabled.isBoolean()) {
                throw new InvalidStudyException(field + ".enabled", "must be true or false");
            }
            if (!enabled.asBoolean()) {
                return null;
            }
        }
        return n;
    }

    private static String onFailure(JsonNode n, String prefix) {
        JsonNode v = n.get("onFailure");
        if (v == null || v.isNull()) {
            return PreflightSpec.STOP;
        }
        if (!v.isTextual() || !Set.of(PreflightSpec.STOP, PreflightSpec.CONTINUE).contains(v.asText())) {
            throw new InvalidStudyException(prefix + "onFailure", "must be \"stop\" (the study stops) or \"continue\" (the search starts anyway)");
        }
        return v.asText();
    }

    private static double number(JsonNode n, String name, String prefix, double dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new InvalidStudyException(prefix + name, "must be a finite number");
        }
        return v.asDouble();
    }

    private static long integer(JsonNode n, String name, String prefix, long dflt, long min, long max) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber() || !v.canConvertToLong() || v.asDouble() != Math.rint(v.asDouble())) {
            throw new InvalidStudyException(prefix + name, "must be a whole number");
        }
        long value = v.asLong();
        if (value < min || value > max) {
            throw new InvalidStudyException(prefix + name, "must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    private static void rejectUnknown(JsonNode node, String prefix, Set<String> known) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new InvalidStudyException(prefix + clip(f), "unknown field (known: " + new TreeSet<>(known) + ")");
            }
        }
    }

    private static String clip(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
