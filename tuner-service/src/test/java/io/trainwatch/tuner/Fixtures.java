package io.trainwatch.tuner;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.tuner.study.Objective;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyBudget;
import io.trainwatch.tuner.study.StudySpec;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small builders of specs and contract events for the tests. */
public final class Fixtures {

    public static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    private Fixtures() {
    }

    public static Map<String, ParamSpec> space() {
        Map<String, ParamSpec> s = new LinkedHashMap<>();
        s.put("learningRate", ParamSpec.logUniform(1e-4, 1));
        s.put("l2", ParamSpec.logUniform(1e-6, 1e-2));
        s.put("dropout", ParamSpec.uniform(0, 0.5));
        s.put("width", ParamSpec.integer(8, 128));
        s.put("activation", ParamSpec.categorical(List.of("relu", "tanh", "sigmoid")));
        s.put("weightInit", ParamSpec.categorical(List.of("normal", "xavier", "relu")));
        return s;
    }

    public static StudySpec spec(int trials, int concurrent, long steps, int rounds) {
        return new StudySpec("test", Objective.MAXIMIZE_VALIDATION_ACCURACY, space(),
                new StudyBudget(trials, concurrent, steps, rounds, 2.0), Map.of("type", "spirals"),
                Map.of("hiddenLayers", List.of(32, 32), "optimizer", "adam"), 7, true, true);
    }

    public static Alert alert(String runId, String detector, long step) {
        return new Alert(Contract.SCHEMA_VERSION, Alert.fingerprint(runId, detector, step), Alert.FIRING, runId, null, null,
                detector, Alert.WARNING, step, 0, T0, detector + " detected", Map.of(), null, null);
    }

    public static ValidationEvent validation(String runId, long step, int epoch, Double accuracy, Double loss) {
        return new ValidationEvent(Contract.SCHEMA_VERSION, runId, T0, null, null, step, epoch, null, null, loss, accuracy);
    }

    public static StepEvent step(String runId, long step) {
        return new StepEvent(Contract.SCHEMA_VERSION, runId, T0, null, null, step, 0, 1.0, null, null, null, null, null,
                null, null, null);
    }

    public static RunStarted runStarted(String runId, int classes, String loss) {
        return new RunStarted(Contract.SCHEMA_VERSION, runId, T0, null, null, new RunConfig("custom", "spirals", classes,
                loss, List.of(), "adam", 0.01, 32, 20, 0.0, 0.0, 1L), "nd4j-native", "cpu");
    }

    /** A step with its loss, batch accuracy and the learning rate used. */
    public static StepEvent step(String runId, long step, double loss, Double accuracy, Double learningRate) {
        return new StepEvent(Contract.SCHEMA_VERSION, runId, T0, null, null, step, 0, loss, accuracy, learningRate, null,
                null, null, null, null, null);
    }

    public static CommandApplied applied(String runId, String commandId, long step) {
        return new CommandApplied(Contract.SCHEMA_VERSION, runId, T0, null, null, commandId, step, null, Map.of());
    }

    public static RunFinished finished(String runId, String status, long step) {
        return new RunFinished(Contract.SCHEMA_VERSION, runId, T0, null, null, status, null, step, 0L);
    }
}
