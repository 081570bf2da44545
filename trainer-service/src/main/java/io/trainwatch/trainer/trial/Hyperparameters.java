package io.trainwatch.trainer.trial;

import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.scenario.Scenarios;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies a trial's hyperparameters over its study's base configuration. The names the trainer
 * understands (documented in the README for the tuner) are the run-config fields {@code learningRate},
 * {@code l2}, {@code dropout}, {@code optimizer}, {@code momentum}, {@code activation}, {@code weightInit},
 * {@code initStd}, {@code batchSize}, {@code epochs}, {@code seed}, {@code hiddenLayers} (a list of widths),
 * plus {@code layers} (number of hidden layers) and {@code width} (their common width), which together
 * replace {@code hiddenLayers}; and {@code batchNorm}, {@code schedule} (a learning-rate schedule object) and
 * {@code subsetBatches}, validated like the run-config fields of the same names.
 */
public final class Hyperparameters {

    public static final Set<String> NAMES = Set.of("learningRate", "l2", "dropout", "optimizer", "momentum",
            "activation", "weightInit", "initStd", "batchSize", "epochs", "seed", "hiddenLayers", "layers", "width",
            "batchNorm", "schedule", "subsetBatches");

    private Hyperparameters() {
    }

    /**
     * The run configuration of a trial: the base (a full config, or {@code {"scenario": NAME, ...}} which
     * starts from that preset), overridden by the hyperparameters. Unknown names are a config error
     * reported as {@code hyperparameters.NAME}.
     */
    public static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> hyperparameters) {
        Map<String, Object> config = new LinkedHashMap<>();
        if (base != null) {
            Object scenario = base.get("scenario");
            if (scenario instanceof String name) {
                config.putAll(Scenarios.configOf(name));
            } else if (scenario != null) {
                throw new InvalidConfigException("base.scenario", "must be a scenario name");
            }
            base.forEach((k, v) -> {
                if (!k.equals("scenario") && !k.equals("steps")) {
                    config.put(k, v);
                }
            });
        }
        if (hyperparameters == null) {
            return config;
        }
        Integer layers = null;
        Integer width = null;
        for (Map.Entry<String, Object> e : hyperparameters.entrySet()) {
            String name = e.getKey();
            Object value = e.getValue();
            if (!NAMES.contains(name)) {
                throw new InvalidConfigException("hyperparameters." + name, "unknown hyperparameter (known: "
                        + new java.util.TreeSet<>(NAMES) + ")");
            }
            switch (name) {
                case "layers" -> layers = wholeNumber(name, value, 0, 32);
                case "width" -> width = wholeNumber(name, value, 1, 4096);
                default -> config.put(name, integral(value));
            }
        }
        if (layers != null || width != null) {
            List<?> current = config.get("hiddenLayers") instanceof List<?> l ? l : List.of(64, 64);
            int n = layers != null ? layers : current.size();
            int w = width != null ? width : current.isEmpty() ? 64 : ((Number) current.get(0)).intValue();
            List<Integer> widths = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                widths.add(w);
            }
            config.put("hiddenLayers", widths);
        }
        return config;
    }

    /** JSON numbers like 32.0 arrive as doubles; whole ones become integers so that integer fields accept them. */
    private static Object integral(Object value) {
        if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e9) {
            return d.longValue();
        }
        return value;
    }

    private static int wholeNumber(String name, Object value, int min, int max) {
        if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < min || n.doubleValue() > max) {
            throw new InvalidConfigException("hyperparameters." + name,
                    "must be a whole number in [" + min + ", " + max + "], was " + value);
        }
        return n.intValue();
    }
}
