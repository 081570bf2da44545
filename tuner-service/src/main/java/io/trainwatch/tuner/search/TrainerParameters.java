package io.trainwatch.tuner.search;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one place that knows the trainer's hyperparameter names (trainer-service {@code Hyperparameters} and
 * {@code RunSpecParser}: {@code learningRate}, {@code l2}, {@code dropout}, {@code optimizer},
 * {@code momentum}, {@code activation}, {@code weightInit}, {@code initStd}, {@code batchSize},
 * {@code epochs}, {@code seed}, {@code hiddenLayers}, and {@code layers} / {@code width}, the number and
 * common width of the hidden layers), which of them the tuner's policies steer, and how a sampled point
 * becomes a trial's {@code hyperparameters}. {@code hiddenUnits} and {@code hiddenLayerCount} are accepted
 * as aliases of {@code width} and {@code layers}.
 */
public final class TrainerParameters {

    public static final String LEARNING_RATE = "learningRate";
    public static final String L2 = "l2";
    public static final String DROPOUT = "dropout";
    public static final String ACTIVATION = "activation";
    public static final String WEIGHT_INIT = "weightInit";
    public static final String HIDDEN_LAYERS = "hiddenLayers";
    public static final String WIDTH = "width";
    public static final String LAYERS = "layers";
    public static final String HIDDEN_UNITS = "hiddenUnits";
    public static final String HIDDEN_LAYER_COUNT = "hiddenLayerCount";
    public static final String SEED = "seed";
    public static final String MAX_STEPS = "maxSteps";
    /** Batch normalisation after each hidden layer (Ioffe and Szegedy 2015; a remedy AUTOTRAINER applies to vanishing gradients). */
    public static final String BATCH_NORM = "batchNorm";
    /** Train only on the first N mini-batches, cycling (an epoch = N steps): the preflight's overfit check. */
    public static final String SUBSET_BATCHES = "subsetBatches";
    /** A learning-rate schedule object: constant, step, exponential, or the range test's geometric ramp. */
    public static final String SCHEDULE = "schedule";

    /** Regularisation strength: larger means stronger. */
    public static final Set<String> REGULARIZATION = Set.of(L2, DROPOUT);
    /** Model size: larger means a bigger model. */
    public static final Set<String> MODEL_SIZE = Set.of(WIDTH, LAYERS, HIDDEN_UNITS, HIDDEN_LAYER_COUNT);

    /**
     * Names a study's space and its preflight's fixed values may use (the trainer rejects a trial with any name it
     * does not know); the preflight adds {@link #SCHEDULE} and {@link #SUBSET_BATCHES} to its own trials itself.
     */
    public static final Set<String> HYPERPARAMETERS = Set.of(LEARNING_RATE, L2, DROPOUT, "optimizer", "momentum",
            ACTIVATION, WEIGHT_INIT, "initStd", "batchSize", "epochs", SEED, HIDDEN_LAYERS, LAYERS, WIDTH,
            HIDDEN_UNITS, HIDDEN_LAYER_COUNT, BATCH_NORM);

    /** Fields of the trainer's run configuration that a study's base {@code model} may set. */
    public static final Set<String> MODEL_FIELDS = Set.of("scenario", HIDDEN_LAYERS, ACTIVATION, WEIGHT_INIT, "initStd",
            "optimizer", "momentum", LEARNING_RATE, "lrSchedule", L2, DROPOUT, "batchSize", "epochs", SEED, "loss",
            "validateEverySteps", "sampleEvery", BATCH_NORM, SCHEDULE);

    /** ReLU-family activations (ReLU in hidden layers against vanishing gradients: Glorot, Bordes and Bengio 2011). */
    public static final Set<String> RELU_FAMILY = Set.of("relu", "leakyrelu", "relu6", "elu", "selu", "gelu",
            "swish", "mish", "rrelu");
    /** He and Xavier initialisations; DL4J calls He {@code relu} / {@code relu_uniform} (He et al. 2015; Glorot and Bengio 2010). */
    public static final Set<String> HE_XAVIER = Set.of("relu", "relu_uniform", "he", "he_normal", "he_uniform",
            "xavier", "xavier_uniform", "xavier_fan_in", "glorot", "glorot_normal", "glorot_uniform");

    private TrainerParameters() {
    }

    public static boolean isReluFamily(Object activation) {
        return activation instanceof String s && RELU_FAMILY.contains(s.toLowerCase(Locale.ROOT));
    }

    public static boolean isHeOrXavier(Object init) {
        return init instanceof String s && HE_XAVIER.contains(s.toLowerCase(Locale.ROOT));
    }

    /**
     * A trial's {@code hyperparameters} for the trainer: the sampled values under the trainer's names
     * (aliases renamed), plus the trial's seed unless the study's {@code model} fixes one (then every trial
     * trains on the same split and initialisation, and only the sampled values differ). The trainer folds
     * {@code layers}/{@code width} into its {@code hiddenLayers}.
     */
    public static Map<String, Object> forTrainer(Map<String, Object> sampled, Map<String, Object> baseModel, long seed) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : sampled.entrySet()) {
            String name = switch (e.getKey()) {
                case HIDDEN_UNITS -> WIDTH;
                case HIDDEN_LAYER_COUNT -> LAYERS;
                default -> e.getKey();
            };
            out.put(name, e.getValue());
        }
        if (baseModel == null || !baseModel.containsKey(SEED)) {
            out.put(SEED, seed);
        }
        return out;
    }
}
