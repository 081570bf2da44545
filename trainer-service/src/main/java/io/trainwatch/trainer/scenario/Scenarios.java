package io.trainwatch.trainer.scenario;

import io.trainwatch.trainer.model.InvalidConfigException;
import io.trainwatch.trainer.model.RunSpec;
import io.trainwatch.trainer.model.RunSpecParser;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scenario presets. Each reproduces its pathology with a configuration measured on this project's
 * machines (the module README gives the numbers it shows); all are short by default
 * (a few hundred steps of a few milliseconds; the CNN ones 100-150 steps of tens of milliseconds) and
 * {@code steps} overrides the length.
 */
public final class Scenarios {

    private static final Map<String, Object> BLOBS = Map.of("type", "blobs", "classes", 5, "features", 20,
            "samples", 2000, "noise", 1.0);
    private static final Map<String, Object> SPIRALS = Map.of("type", "spirals", "classes", 3, "samples", 900,
            "noise", 0.2);

    private static final List<Scenario> ALL = List.of(
            new Scenario("healthy", "none",
                    "2x64 ReLU, Xavier, Adam 0.005 on 3-class spirals: the loss falls from ln(3) and keeps falling, "
                            + "validation follows training.", 300,
                    config(SPIRALS, "hiddenLayers", List.of(64, 64), "activation", "relu", "weightInit", "xavier",
                            "optimizer", "adam", "learningRate", 0.005, "batchSize", 32)),
            new Scenario("vanishing-gradients", "vanishing-gradients",
                    "10 sigmoid layers of 64 with N(0, 0.05^2) init and SGD 0.1: the first layer's gradient norm is "
                            + "~1e-10 while the last layer's is ~0.1; the loss stays near ln(5).", 300,
                    config(BLOBS, "hiddenLayers", List.of(64, 64, 64, 64, 64, 64, 64, 64, 64, 64),
                            "activation", "sigmoid", "weightInit", "normal", "initStd", 0.05, "optimizer", "sgd",
                            "learningRate", 0.1, "batchSize", 32)),
            new Scenario("exploding-gradients", "exploding-gradients",
                    "2x64 ReLU with SGD at learning rate 2: gradient norms grow by orders of magnitude and the loss "
                            + "turns NaN within ~50 steps; the run ends as diverged.", 200,
                    config(BLOBS, "hiddenLayers", List.of(64, 64), "activation", "relu", "weightInit", "xavier",
                            "optimizer", "sgd", "learningRate", 2.0, "batchSize", 32)),
            new Scenario("bad-initialization", "bad-initialization",
                    "2x64 ReLU with every weight zero: no gradient reaches the hidden layers and the loss stays at "
                            + "exactly ln(5) = 1.609.", 300,
                    config(BLOBS, "hiddenLayers", List.of(64, 64), "activation", "relu", "weightInit", "zero",
                            "optimizer", "adam", "learningRate", 0.01, "batchSize", 32)),
            new Scenario("bad-initialization-huge", "bad-initialization",
                    "2x64 ReLU with N(0, 10^2) weights: the initial loss is ~20 for 5 classes (chance is ln(5) = "
                            + "1.6), far from where a sane init starts.", 300,
                    config(BLOBS, "hiddenLayers", List.of(64, 64), "activation", "relu", "weightInit", "normal",
                            "initStd", 10.0, "optimizer", "sgd", "learningRate", 0.001, "batchSize", 32)),
            new Scenario("plateau", "plateau",
                    "2x64 ReLU with Adam at 0.03, too high for late training, on overlapping Gaussian blobs: the "
                            + "training loss falls to ~0.22 within ~100 steps and stays there; decaying the rate 10x "
                            + "takes it to ~0.08 within 150 steps.", 400,
                    config(Map.of("type", "blobs", "classes", 5, "features", 20, "samples", 4000, "noise", 3.0),
                            "hiddenLayers", List.of(64, 64), "activation", "relu", "weightInit", "xavier",
                            "optimizer", "adam", "learningRate", 0.03, "batchSize", 32)),
            new Scenario("lr-decayed-too-early", "lr-decayed-too-early",
                    "The healthy model with a step schedule that cuts Adam's rate 1000x at step 30: the loss falls, "
                            + "then goes flat right after the cut, far above what the healthy run reaches.", 300,
                    config(SPIRALS, "hiddenLayers", List.of(64, 64), "activation", "relu", "weightInit", "xavier",
                            "optimizer", "adam", "learningRate", 0.005, "lrSchedule", Map.of("30", 0.000005),
                            "batchSize", 32)),
            new Scenario("overfitting", "overfitting",
                    "2x256 ReLU trained on only 64 examples of heavily overlapping blobs: training loss goes to ~0 "
                            + "while validation loss rises ~20 % above its minimum.", 300,
                    config(Map.of("type", "blobs", "classes", 5, "features", 20, "samples", 2000, "noise", 3.0,
                                    "trainSubset", 64),
                            "hiddenLayers", List.of(256, 256), "activation", "relu", "weightInit", "relu",
                            "optimizer", "adam", "learningRate", 0.001, "batchSize", 32)),
            new Scenario("underfitting", "underfitting",
                    "A linear model (no hidden layer) on 3-class spirals: training and validation loss level off "
                            + "together at a mediocre value, accuracy ~50-60 %. With the default seed the loss still creeps down until "
                            + "step ~300 (the monitor calls it at step 300), so it trains 500 steps.", 500,
                    config(SPIRALS, "hiddenLayers", List.of(), "optimizer", "adam", "learningRate", 0.01,
                            "batchSize", 32)),
            new Scenario("cnn-healthy", "none",
                    "A small LeNet-like CNN (conv 3x3x6, max-pool, conv 3x3x12, max-pool, dense 32; ReLU, He init, Adam "
                            + "0.003) sent as DL4J configuration JSON, on 16x16 grey synthetic images of 4 classes: "
                            + "the loss falls from ~ln(4) and validation accuracy climbs well above chance (0.25).", 150,
                    config(Map.of("type", "images", "shape", List.of(16, 16, 1), "classes", 4, "samples", 1000,
                                    "noise", 0.6),
                            "model", dl4j(CnnConfigs.lenet(16, 16, 1, 4, 3, 0.003)), "optimizer", "adam",
                            "learningRate", 0.003, "batchSize", 32)),
            new Scenario("cnn-vanishing-gradients", "vanishing-gradients",
                    "5 sigmoid 3x3 convolutions of 4 channels with N(0, 0.05^2) weights and SGD 0.1, as DL4J "
                            + "configuration JSON, on 12x12 synthetic images of 4 classes: the first layer's gradient "
                            + "norm is ~1e-6, a millionth of the output layer's; accuracy stays at chance.", 100,
                    config(Map.of("type", "images", "shape", List.of(12, 12, 1), "classes", 4, "samples", 800,
                                    "noise", 0.3),
                            "model", dl4j(CnnConfigs.deepSigmoid(12, 12, 1, 4, 5, 4, 0.05, 0.1)), "optimizer", "sgd",
                            "learningRate", 0.1, "batchSize", 32)));

    private Scenarios() {
    }

    public static List<Scenario> all() {
        return ALL;
    }

    public static Optional<Scenario> find(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** The run spec of a scenario, optionally with a step count and seed of its own. */
    public static RunSpec spec(String name, Long steps, Long seed) {
        Scenario scenario = find(name).orElseThrow(() -> new InvalidConfigException("scenario",
                "unknown scenario '" + name + "', one of " + ALL.stream().map(Scenario::name).toList()));
        Map<String, Object> config = new LinkedHashMap<>(scenario.config());
        config.put("scenario", scenario.name());
        if (seed != null) {
            config.put("seed", seed);
        }
        RunSpec spec = RunSpecParser.parse(config);
        return spec.withMaxSteps(steps == null ? scenario.defaultSteps() : steps);
    }

    /** The configuration map of a scenario with its name, for merging with trial hyperparameters. */
    public static Map<String, Object> configOf(String name) {
        Scenario scenario = find(name).orElseThrow(() -> new InvalidConfigException("base.scenario",
                "unknown scenario '" + name + "'"));
        Map<String, Object> config = new LinkedHashMap<>(scenario.config());
        config.put("scenario", scenario.name());
        return config;
    }

    private static Map<String, Object> dl4j(org.deeplearning4j.nn.conf.MultiLayerConfiguration conf) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "dl4j");
        m.put("config", CnnConfigs.asJsonObject(conf));
        return m;
    }

    private static Map<String, Object> config(Map<String, Object> dataset, Object... keyValues) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("dataset", dataset);
        for (int i = 0; i < keyValues.length; i += 2) {
            c.put((String) keyValues[i], keyValues[i + 1]);
        }
        return c;
    }
}
