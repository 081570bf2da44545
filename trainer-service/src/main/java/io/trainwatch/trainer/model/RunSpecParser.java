package io.trainwatch.trainer.model;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunControl;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static io.trainwatch.trainer.model.ConfigFields.flag;
import static io.trainwatch.trainer.model.ConfigFields.integer;
import static io.trainwatch.trainer.model.ConfigFields.number;
import static io.trainwatch.trainer.model.ConfigFields.oneOf;

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
    /** The fields of a {@code control} object: those of the contract's {@link RunControl}. */
    static final Set<String> CONTROL_FIELDS = Arrays.stream(RunControl.class.getRecordComponents())
            .map(RecordComponent::getName).collect(Collectors.toUnmodifiableSet());
    /** The field a contract reader's message names: {@code field 'control.mode' must be ...}. */
    private static final Pattern QUOTED_FIELD = Pattern.compile("field '([^']+)'");
    /** The most mini-batches a subset may have (the subset is held in memory as index arrays). */
    static final int MAX_SUBSET_BATCHES = 1_000_000;

    /** The largest model this service accepts (a guard against a request that eats the heap). */
    public static final int MAX_LAYERS = 32;
    public static final int MAX_WIDTH = 4096;

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
        DatasetSpec dataset = DatasetSpecParser.dataset(config.get("dataset"));
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
        TreeMap<Integer, Double> schedule = ScheduleParser.lrSchedule(config.get("lrSchedule"), lr);
        LearningRateSchedule rateSchedule = ScheduleParser.rateSchedule(config.get("schedule"));
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
     * "allowStop"}}) read by the contract's rules ({@link EventCodec#readControl}), or {@code auto} when absent: a run
     * this service trains accepts the tuner's commands. Unlike an event, a request may not carry unknown fields.
     */
    static RunControl control(Object value) {
        if (value == null) {
            return RunControl.of(RunControl.AUTO);
        }
        if (value instanceof Map<?, ?> raw) {
            for (Object key : raw.keySet()) {
                if (!CONTROL_FIELDS.contains(String.valueOf(key))) {
                    throw new InvalidConfigException("control." + key, "unknown field (known: "
                            + new java.util.TreeSet<>(CONTROL_FIELDS) + ")");
                }
            }
        }
        try {
            return EventCodec.readControl(value);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage() == null ? "is malformed" : e.getMessage();
            Matcher field = QUOTED_FIELD.matcher(message);
            if (!field.find()) {
                throw new InvalidConfigException("control", message);
            }
            String reason = message.startsWith("missing ") ? "is required"
                    : message.substring(field.end()).trim();
            throw new InvalidConfigException(field.group(1), reason);
        }
    }

    /** A sensible starting rate per optimiser (Adam/RMSProp 1e-3 as in their papers, SGD 0.1, AdaGrad 0.05). */
    static double defaultLearningRate(String optimizer) {
        return switch (optimizer) {
            case "adam", "rmsprop" -> 0.001;
            case "adagrad" -> 0.05;
            default -> 0.1;
        };
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
}
