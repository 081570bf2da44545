package io.trainwatch.events;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One valid instance of every record of the contract, with non-finite values where they are data. */
final class Samples {

    static final Instant T0 = Instant.parse("2026-11-23T10:15:30.123Z");

    private Samples() {
    }

    static Map<String, Double> layers(double... values) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put("layer" + i, values[i]);
        }
        return m;
    }

    static RunStarted runStarted() {
        RunConfig config = new RunConfig("healthy", "spirals", 5, LossFunctions.CROSS_ENTROPY,
                List.of(new LayerInfo("layer0", "dense", 2, 64, "relu", "he"),
                        new LayerInfo("layer1", "output", 64, 5, "softmax", "xavier")),
                "adam", 0.001, 32, 20, 1e-4, 0.0, 42L, true,
                java.util.Map.of("type", "step", "every", 100, "factor", 0.5), 5);
        return new RunStarted(1, "run-1", T0, "study-1", "trial-1", config, "CPU", "test-cpu");
    }

    static StepEvent step(long step, double loss) {
        return new StepEvent(1, "run-1", T0.plusMillis(step), null, null, step, 0, loss, 0.5, 0.001, 0.3,
                layers(0.1, Double.POSITIVE_INFINITY), layers(5.0, 2.0), layers(1e-3, Double.NaN), 1.25, 25600.0);
    }

    static ValidationEvent validation() {
        return new ValidationEvent(1, "run-1", T0, null, null, 300, 1, 0.4, 0.86, Double.NaN, 0.83);
    }

    static CommandApplied commandApplied() {
        return new CommandApplied(1, "run-1", T0, null, null, "cmd-1", 301, TunerCommand.SET_LEARNING_RATE,
                Map.of("previousLearningRate", 0.001, "learningRate", 1.0E-4));
    }

    static RunFinished runFinished() {
        return new RunFinished(1, "run-1", T0, "study-1", "trial-1", RunFinished.DIVERGED, "loss is NaN", 51, 3L);
    }

    static Alert alert() {
        return new Alert(1, Alert.fingerprint("run-1", "plateau", 1000), Alert.FIRING, "run-1", null, null, "plateau",
                Alert.WARNING, 1200, 4, T0, "Loss stopped improving.", Map.of("smoothedLoss", 0.62, "best", 0.46),
                "Decay the learning rate.", Alert.ACTION_DECAY_LR);
    }

    static TunerCommand command() {
        return new TunerCommand(1, "cmd-1", "run-1", TunerCommand.SET_LEARNING_RATE, 1e-4, "plateau", "a1", T0,
                null, null);
    }

    static Trial trial() {
        return new Trial(1, "study-1", "trial-1", "study-1-trial-1",
                Map.of("learningRate", 0.003, "width", 96, "activation", "relu"), new Trial.Budget(600L, null),
                Trial.RANDOM, Map.of("dataset", "spirals"), T0);
    }

    static DeadLetter deadLetter() {
        return DeadLetter.of("not JSON", Topics.TRAINING_EVENTS, 2, 17L, "run-1", new byte[]{'{', 0, (byte) 0xff},
                "test", T0);
    }
}
