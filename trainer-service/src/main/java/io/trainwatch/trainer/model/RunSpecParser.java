package io.trainwatch.trainer.model;

import io.trainwatch.events.RunControl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a run configuration (JSON as a map) into a {@link RunSpec}, or throws an
 * {@link InvalidConfigException} naming the first wrong field. Unknown fields are rejected too, so that
 * a typo ({@code learningrate}) is not silently trained with the default.
 */
public final class RunSpecParser {

    public static final Set<String> OPTIMIZERS = Set.of("sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad");
    public static final Set<String> ACTIVATIONS = Set.of("relu", "leakyrelu", "tanh", "sigmoid", "elu", "selu",
            "softplus", "identity", "swish", "gelu", "hardtanh");
    public static final Set<String> WEIGHT_INITS = Set.of("xavier", "xavier_uniform", "relu", "relu_uniform",
            "lecun_normal", "lecun_uniform", "zero", "ones", "normal", "uniform");
    public static final Set<String> LOSSES = Set.of("mcxent", "negativeloglikelihood", "mse");

    static final Set<String> FIELDS = Set.of("scenario", "dataset", "hiddenLayers", "activation", "weightInit",
            "initStd", "optimizer", "momentum", "learningRate", "lrSchedule", "l2", "dropout", "batchSize", "epochs",
            "maxSteps", "steps", "seed", "loss", "validateEverySteps", "sampleEvery", "schedule", "batchNorm",
            "subsetBatches", "control", "model");
    static final Set<String> CONTROL_FIELDS = Set.of("mode", "maxDecays", "minLearningRate", "allowStop");
    static final Map<String, Set<String>> SCHEDULE_FIELDS = Map.of(
            LearningRateSchedule.CONSTANT, Set.of("type"),
            LearningRateSchedule.STEP, Set.of("type", "every", "factor"),
            LearningRateSchedule.EXPONENTIAL, Set.of("type", "gamma"),
            LearningRateSchedule.RANGE, Set.of("type", "from", "to", "steps"));
    /** The longest step-decay period and range ramp accepted (the longest run the API accepts). */
    static final int MAX_SCHEDULE_STEPS = 100_000_000;
    /** The most mini-batches a subset may have (the subset is held in memory as index arrays). */
    static final int MAX_SUBSET_BATCHES = 1_000_000;
    static final Set<String> DATASET_FIELDS = Set.of("type", "classes", "samples", "noise", "features", "path",
            "labelColumn", "validationFraction", "trainSubset", "shape", "labels");

    /** The largest model and data this service accepts (a guard against a request that eats the heap). */
    public static final int MAX_LAYERS = 32;
    public static final int MAX_WIDTH = 4096;
    public static final int MAX_SAMPLES = 200_000;
    /** The most feature values a generated data set may hold (200 MB of floats). */
    public static final long MAX_VALUES = 50_000_000L;

    private RunSpecParser() {
    }

    /** Parses and validates a configuration. */
    public static RunSpec parse(Map<String, ?> config) {
        if (config == null) {
            throw new InvalidConfigException("config", "is required");
        }
        for (String key : config.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new InvalidConfigException(key, "unknown field (known: " + new java.util.TreeSet<>(FIELDS) + ")");
            }
        }
        DatasetSpec dataset = dataset(config.get("dataset"));
        Dl4jModel model = null;
        if (config.get("model") != null) {
            for (String field : new java.util.TreeSet<>(Dl4jModels.MLP_ONLY)) {
                if (config.get(field) != null) {
                    throw new InvalidConfigException(field, "does not apply to a model given as a DL4J configuration "
                            + "(field model): set it in that configuration");
                }
            }
            Set<String> given = new java.util.HashSet<>();
            config.forEach((k, v) -> {
                if (v != null) {
                    given.add(k);
                }
            });
            model = Dl4jModels.parse(config.get("model"), given);
        }
        List<Integer> hidden = hiddenLayers(config.get("hiddenLayers"));
        String activation = oneOf(config, "activation", "relu", ACTIVATIONS);
        String weightInit = oneOf(config, "weightInit", "xavier", WEIGHT_INITS);
        Double initStd = null;
        if ("normal".equals(weightInit) || "uniform".equals(weightInit)) {
            initStd = number(config, "initStd", 0.05, 1e-12, 1e6);
        } else if (config.get("initStd") != null) {
            throw new InvalidConfigException("initStd", "only applies to weightInit normal or uniform");
        }
        String optimizer = model != null && config.get("optimizer") == null ? model.optimizer()
                : oneOf(config, "optimizer", "adam", OPTIMIZERS);
        double momentum = number(config, "momentum", 0.9, 0, 0.9999);
        // A DL4J configuration keeps its own rate unless the optimiser is replaced (then that one's default applies).
        double defaultRate = model != null && config.get("optimizer") == null && Double.isFinite(model.learningRate())
                ? model.learningRate() : defaultLearningRate(optimizer);
        double lr = number(config, "learningRate", defaultRate, 1e-12, 1000);
        TreeMap<Integer, Double> schedule = schedule(config.get("lrSchedule"), lr);
        LearningRateSchedule rateSchedule = rateSchedule(config.get("schedule"));
        if (rateSchedule != null && schedule != null) {
            throw new InvalidConfigException("schedule", "cannot be combined with lrSchedule: give one of them");
        }
        if (rateSchedule != null && LearningRateSchedule.RANGE.equals(rateSchedule.type())) {
            lr = rateSchedule.from(); // a range test starts at 'from'; learningRate is ignored
        }
        boolean batchNorm = flag(config, "batchNorm", false);
        Integer subsetBatches = config.get("subsetBatches") == null ? null
                : integer(config, "subsetBatches", 0, 1, MAX_SUBSET_BATCHES);
        double l2 = number(config, "l2", 0.0, 0, 100);
        double dropout = number(config, "dropout", 0.0, 0, 0.95);
        int batch = integer(config, "batchSize", 32, 1, 65_536);
        int epochs = integer(config, "epochs", 20, 1, 10_000_000);
        Long maxSteps = config.get("maxSteps") == null && config.get("steps") == null ? null
                : (long) integer(config, config.get("maxSteps") != null ? "maxSteps" : "steps", 0, 1, 100_000_000);
        long seed = (long) number(config, "seed", 42, -9.0e15, 9.0e15);
        String loss = oneOf(config, "loss", "mcxent", LOSSES);
        int validateEvery = integer(config, "validateEverySteps", 0, 0, 100_000_000);
        int sampleEvery = integer(config, "sampleEvery", 1, 1, 1_000_000);
        String scenario = config.get("scenario") instanceof String s ? s : null;
        if (config.get("scenario") != null && scenario == null) {
            throw new InvalidConfigException("scenario", "must be a string");
        }
        if (maxSteps != null) {
            epochs = Math.max(epochs, 1);
        }
        RunSpec spec = new RunSpec(scenario, dataset, hidden, activation, weightInit, initStd, optimizer, momentum, lr,
                schedule, l2, dropout, batch, epochs, maxSteps, seed, loss, validateEvery, sampleEvery, rateSchedule,
                batchNorm, subsetBatches, control(config.get("control")), model);
        if (model != null) {
            Dl4jModels.check(spec);
        }
        return spec;
    }

    /**
     * The {@code control} object ({@code {"mode": "auto" | "suggest" | "off", "maxDecays", "minLearningRate",
     * "allowStop"}}), or {@code auto} when absent: a run this service trains accepts the tuner's commands.
     */
    static RunControl control(Object value) {
        if (value == null) {
            return RunControl.of(RunControl.AUTO);
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw new InvalidConfigException("control", "must be an object like {\"mode\": \"suggest\"}, was '" + value + "'");
        }
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        raw.forEach((k, v) -> c.put(String.valueOf(k), v));
        for (String key : c.keySet()) {
            if (!CONTROL_FIELDS.contains(key)) {
                throw new InvalidConfigException("control." + key, "unknown field (known: "
                        + new java.util.TreeSet<>(CONTROL_FIELDS) + ")");
            }
        }
        Object mode = c.get("mode");
        if (!(mode instanceof String m) || !RunControl.MODES.contains(m)) {
            throw new InvalidConfigException("control.mode", "must be one of " + new java.util.TreeSet<>(RunControl.MODES)
                    + ", was " + (mode == null ? "missing" : "'" + mode + "'"));
        }
        Integer maxDecays = c.get("maxDecays") == null ? null
                : integer(Map.of("control.maxDecays", c.get("maxDecays")), "control.maxDecays", 0, 0, 1_000_000);
        Double minRate = null;
        if (c.get("minLearningRate") != null) {
            if (!(c.get("minLearningRate") instanceof Number n) || !Double.isFinite(n.doubleValue())
                    || n.doubleValue() <= 0) {
                throw new InvalidConfigException("control.minLearningRate", "must be a finite number > 0, was '"
                        + c.get("minLearningRate") + "'");
            }
            minRate = n.doubleValue();
        }
        Boolean allowStop = null;
        if (c.get("allowStop") != null) {
            if (!(c.get("allowStop") instanceof Boolean b)) {
                throw new InvalidConfigException("control.allowStop", "must be true or false, was '" + c.get("allowStop") + "'");
            }
            allowStop = b;
        }
        return new RunControl(m, maxDecays, minRate, allowStop);
    }

    /** A sensible starting rate per optimiser (Adam/RMSProp 1e-3 as in their papers, SGD 0.1, AdaGrad 0.05). */
    static double defaultLearningRate(String optimizer) {
        return switch (optimizer) {
            case "adam", "rmsprop" -> 0.001;
            case "adagrad" -> 0.05;
            default -> 0.1;
        };
    }

    private static DatasetSpec dataset(Object value) {
        if (value == null) {
            return new DatasetSpec(DatasetSpec.SPIRALS, 3, 900, 0.2, 2, null, null, 0.2, null);
        }
        if (value instanceof String s) {
            return dataset(Map.of("type", s));
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw new InvalidConfigException("dataset", "must be an object or a data set name");
        }
        Map<String, Object> d = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : raw.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!DATASET_FIELDS.contains(key)) {
                throw new InvalidConfigException("dataset." + key, "unknown field (known: "
                        + new java.util.TreeSet<>(DATASET_FIELDS) + ")");
            }
            d.put("dataset." + key, e.getValue());
        }
        String type = oneOf(d, "dataset.type", null, DatasetSpec.TYPES);
        boolean twoClass = type.equals(DatasetSpec.MOONS) || type.equals(DatasetSpec.XOR);
        boolean images = type.equals(DatasetSpec.IMAGES);
        boolean file = type.equals(DatasetSpec.CSV) || type.equals(DatasetSpec.NPY);
        int classes = switch (type) {
            case DatasetSpec.IRIS -> 3;
            case DatasetSpec.CSV, DatasetSpec.NPY -> 0; // read from the file
            default -> twoClass ? fixed(d, "dataset.classes", 2) : integer(d, "dataset.classes",
                    type.equals(DatasetSpec.BLOBS) ? 5 : images ? 4 : 3, 2, 100);
        };
        int samples = integer(d, "dataset.samples", type.equals(DatasetSpec.BLOBS) ? 2000 : images ? 1000 : 900, 10,
                MAX_SAMPLES);
        double noise = number(d, "dataset.noise", type.equals(DatasetSpec.BLOBS) ? 1.0 : images ? 0.3 : 0.2, 0, 100);
        int features = type.equals(DatasetSpec.BLOBS) ? integer(d, "dataset.features", 20, 1, 10_000)
                : type.equals(DatasetSpec.IRIS) ? 4 : 2;
        if (!type.equals(DatasetSpec.BLOBS) && d.get("dataset.features") != null) {
            throw new InvalidConfigException("dataset.features", "only applies to blobs");
        }
        List<Integer> shape = null;
        if (images) {
            shape = shape(d.get("dataset.shape"), true);
            features = shape.get(0) * shape.get(1) * shape.get(2);
            if ((long) samples * features > MAX_VALUES) {
                throw new InvalidConfigException("dataset.samples", samples + " images of " + shape + " are "
                        + (long) samples * features + " values, more than " + MAX_VALUES);
            }
        } else if (type.equals(DatasetSpec.CSV) && d.get("dataset.shape") != null) {
            shape = shape(d.get("dataset.shape"), false);
        } else if (d.get("dataset.shape") != null) {
            throw new InvalidConfigException("dataset.shape", "only applies to images and csv (an npy file has its own)");
        }
        String path = null;
        String labelColumn = null;
        String labels = null;
        if (file) {
            path = text(d, "dataset.path");
        } else if (d.get("dataset.path") != null) {
            throw new InvalidConfigException("dataset.path", "only applies to csv and npy");
        }
        if (type.equals(DatasetSpec.CSV)) {
            labelColumn = d.get("dataset.labelColumn") == null ? null : String.valueOf(d.get("dataset.labelColumn"));
        }
        if (type.equals(DatasetSpec.NPY)) {
            labels = text(d, "dataset.labels");
        } else if (d.get("dataset.labels") != null) {
            throw new InvalidConfigException("dataset.labels", "only applies to npy");
        }
        double validation = number(d, "dataset.validationFraction", 0.2, 0.01, 0.9);
        Integer subset = d.get("dataset.trainSubset") == null ? null
                : integer(d, "dataset.trainSubset", 0, 2, MAX_SAMPLES);
        return new DatasetSpec(type, classes, samples, noise, features, path, labelColumn, validation, subset, shape,
                labels);
    }

    /**
     * {@code dataset.shape}: {@code [height, width, channels]} of synthetic images (default [28, 28, 1]; sides 4 to
     * 256, 1 to 4 channels), or 1 to 3 positive dimensions of a csv row.
     */
    private static List<Integer> shape(Object value, boolean image) {
        if (value == null) {
            return List.of(28, 28, 1);
        }
        if (!(value instanceof List<?> list) || list.isEmpty() || list.size() > 3 || (image && list.size() != 3)) {
            throw new InvalidConfigException("dataset.shape", image
                    ? "must be [height, width, channels], e.g. [28, 28, 1] or [32, 32, 3]"
                    : "must be a list of 1 to 3 dimensions: [features], [timeSteps, features] or [height, width, channels]");
        }
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object v = list.get(i);
            int max = image ? (i == 2 ? 4 : 256) : 1_000_000;
            int min = image && i < 2 ? 4 : 1;
            if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.intValue() < min
                    || n.intValue() > max) {
                throw new InvalidConfigException("dataset.shape[" + i + "]", "must be a whole number in [" + min + ", "
                        + max + "], was " + v);
            }
            dims.add(n.intValue());
        }
        return dims;
    }

    private static List<Integer> hiddenLayers(Object value) {
        if (value == null) {
            return List.of(64, 64);
        }
        if (!(value instanceof List<?> list)) {
            throw new InvalidConfigException("hiddenLayers", "must be a list of layer widths, e.g. [64, 64]");
        }
        if (list.size() > MAX_LAYERS) {
            throw new InvalidConfigException("hiddenLayers", "at most " + MAX_LAYERS + " layers, was " + list.size());
        }
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object w = list.get(i);
            String field = "hiddenLayers[" + i + "]";
            if (!(w instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new InvalidConfigException(field, "must be a whole number, was " + w);
            }
            if (n.intValue() < 1 || n.intValue() > MAX_WIDTH) {
                throw new InvalidConfigException(field, "must be in [1, " + MAX_WIDTH + "], was " + n);
            }
            widths.add(n.intValue());
        }
        return widths;
    }

    private static TreeMap<Integer, Double> schedule(Object value, double initial) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> map) || map.isEmpty()) {
            throw new InvalidConfigException("lrSchedule", "must be a non-empty object of step -> learning rate");
        }
        TreeMap<Integer, Double> schedule = new TreeMap<>();
        schedule.put(0, initial);
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String field = "lrSchedule." + e.getKey();
            int step;
            try {
                step = Integer.parseInt(String.valueOf(e.getKey()).trim());
            } catch (NumberFormatException ex) {
                throw new InvalidConfigException(field, "the key must be a step number");
            }
            if (step < 0) {
                throw new InvalidConfigException(field, "the step must be >= 0");
            }
            if (!(e.getValue() instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0) {
                throw new InvalidConfigException(field, "must be a finite learning rate > 0, was " + e.getValue());
            }
            schedule.put(step, n.doubleValue());
        }
        return schedule;
    }

    /** The {@code schedule} object, or null when absent. */
    static LearningRateSchedule rateSchedule(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw new InvalidConfigException("schedule", "must be an object with a type, one of "
                    + new java.util.TreeSet<>(SCHEDULE_FIELDS.keySet()));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        raw.forEach((k, v) -> m.put("schedule." + k, v));
        String type = oneOf(m, "schedule.type", null, SCHEDULE_FIELDS.keySet());
        Set<String> allowed = SCHEDULE_FIELDS.get(type);
        for (Object key : raw.keySet()) {
            if (!allowed.contains(String.valueOf(key))) {
                throw new InvalidConfigException("schedule." + key, "does not apply to a " + type
                        + " schedule (its fields: " + new java.util.TreeSet<>(allowed) + ")");
            }
        }
        return switch (type) {
            case LearningRateSchedule.STEP -> LearningRateSchedule.step(
                    requiredInteger(m, "schedule.every", 1, MAX_SCHEDULE_STEPS),
                    fraction(m, "schedule.factor"));
            case LearningRateSchedule.EXPONENTIAL -> LearningRateSchedule.exponential(fraction(m, "schedule.gamma"));
            case LearningRateSchedule.RANGE -> {
                double from = positive(m, "schedule.from");
                double to = positive(m, "schedule.to");
                if (!(from < to)) {
                    throw new InvalidConfigException("schedule.to", "must be greater than schedule.from (" + from
                            + "), was " + to);
                }
                yield LearningRateSchedule.range(from, to, requiredInteger(m, "schedule.steps", 2, MAX_SCHEDULE_STEPS));
            }
            default -> LearningRateSchedule.constant();
        };
    }

    private static int requiredInteger(Map<String, ?> m, String field, int min, int max) {
        if (m.get(field) == null) {
            throw new InvalidConfigException(field, "is required, a whole number in [" + min + ", " + max + "]");
        }
        return integer(m, field, 0, min, max);
    }

    /** A number in (0, 1]. */
    private static double fraction(Map<String, ?> m, String field) {
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
    private static double positive(Map<String, ?> m, String field) {
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

    private static int fixed(Map<String, ?> config, String field, int value) {
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
                throw new InvalidConfigException(field, "is required, one of " + new java.util.TreeSet<>(allowed));
            }
            return fallback;
        }
        if (!(v instanceof String s)) {
            throw new InvalidConfigException(field, "must be a string, one of " + new java.util.TreeSet<>(allowed));
        }
        String n = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        if (field.equals("activation") || field.equals("optimizer") || field.equals("loss")) {
            n = n.replace("_", "");
        }
        if (!allowed.contains(n)) {
            throw new InvalidConfigException(field, "must be one of " + new java.util.TreeSet<>(allowed) + ", was '" + s + "'");
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
