package io.trainwatch.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Iterator;
import java.util.Map;

/**
 * What {@code ./trainwatch demo} asks of the stack: every trainer scenario as a one-trial study (so that the
 * tuner steers it as it steers any trial), plus a small search whose space holds diverging and vanishing corners.
 */
public final class DemoPlan {

    /** The pathology of the trainer's healthy scenarios. */
    public static final String NONE = "none";
    /** The trainer's seed for a run that names none (RunSpecParser's default). */
    static final long TRAINER_DEFAULT_SEED = 42;
    /** Validation interval of the scenario runs when the scenario sets none. */
    static final int VALIDATE_EVERY_STEPS = 25;
    /** The label of the search study in the summary. */
    public static final String SEARCH = "search";
    /** The label of the study that runs CS231n's tuning procedure (preflight checks, then the search). */
    public static final String PROCEDURE = "procedure";

    /**
     * One study the demo starts.
     *
     * @param studyId  the tuner's study id (its trials' runs are {@code studyId-tNNN})
     * @param label    the scenario name, {@link #SEARCH} or {@link #PROCEDURE}
     * @param expected the detector the scenario must trigger, {@link #NONE} for a healthy one, null for the studies
     * @param request  the body of {@code POST /studies}
     */
    public record Study(String studyId, String label, String expected, ObjectNode request) {
    }

    private DemoPlan() {
    }

    /**
     * The studies for the trainer's {@code GET /scenarios} answer: each scenario's data set and model, its own
     * learning rate as a one-point space and its seed, one trial of its default length; then (with
     * {@code studies}) the search and the procedure.
     *
     * @param scenarios the JSON array the trainer returns
     * @param suffix    makes the ids of this demo unique (lower-case letters and digits)
     * @param only      scenario names to keep (empty: all)
     * @param studies   whether to add the search and the procedure
     */
    public static List<Study> studies(JsonNode scenarios, String suffix, List<String> only, boolean studies) {
        if (scenarios == null || !scenarios.isArray()) {
            throw new IllegalArgumentException("the trainer's /scenarios answer is not a JSON array");
        }
        List<Study> plan = new ArrayList<>();
        for (JsonNode s : scenarios) {
            String name = s.path("name").asText("");
            if (name.isEmpty() || (!only.isEmpty() && !only.contains(name))) {
                continue;
            }
            plan.add(scenarioStudy(s, suffix));
        }
        if (studies) {
            plan.add(searchStudy(suffix));
            plan.add(procedureStudy(suffix));
        }
        return plan;
    }

    static Study scenarioStudy(JsonNode scenario, String suffix) {
        String name = scenario.path("name").asText();
        JsonNode config = scenario.path("config");
        if (!config.isObject() || !config.has("dataset")) {
            throw new IllegalArgumentException("scenario " + name + " has no config with a dataset");
        }
        double lr = config.path("learningRate").asDouble(0.01);
        ObjectNode model = EventCodec.MAPPER.createObjectNode();
        if (config.has("model")) {
            // A network given as DL4J configuration JSON is no field the tuner's study model knows: the trial's base
            // names the preset instead, and the trainer starts from it (the study's fields still override it).
            model.put("scenario", name);
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!List.of("dataset", "learningRate", "scenario").contains(e.getKey())) {
                    model.set(e.getKey(), e.getValue());
                }
            }
        }
        // A seed in the model fixes the trial's seed: the run is the scenario as `trainwatch train` runs it (some
        // pathologies, exploding gradients at rate 2 among them, show only for some seeds).
        if (!model.has("seed")) {
            model.put("seed", TRAINER_DEFAULT_SEED);
        }
        // Validation every epoch (~100 steps here) gives a 300-step run 3 points: too few for the validation-driven
        // parts (overfitting, underfitting, the tuner's deferral of a plateau decay while validation improves).
        if (!model.has("validateEverySteps")) {
            model.put("validateEverySteps", VALIDATE_EVERY_STEPS);
        }
        String id = "demo-" + name + "-" + suffix;
        ObjectNode study = EventCodec.MAPPER.createObjectNode();
        study.put("id", id);
        study.put("name", "demo: scenario " + name);
        study.put("objective", "maximize-validation-accuracy");
        ObjectNode rate = study.putObject("space").putObject("learningRate");
        rate.put("type", "log-uniform").put("min", lr).put("max", lr);
        study.putObject("budget").put("trials", 1).put("concurrentTrials", 1)
                .put("stepsPerTrial", scenario.path("defaultSteps").asInt(300)).put("rounds", 1);
        study.set("dataset", config.get("dataset"));
        study.set("model", model);
        study.put("seed", 1);
        return new Study(id, name, scenario.path("pathology").asText(NONE), study);
    }

    /**
     * CS231n's tuning procedure on the healthy spirals model (stack-tests' PreflightStudyIT checks this study): the
     * initial loss against ln(3), 100 % on 5 mini-batches, a learning-rate range test whose range replaces the
     * requested 1e-5..1, then 4 trials of 150 steps and a refined round.
     */
    static Study procedureStudy(String suffix) {
        String id = "demo-procedure-" + suffix;
        return new Study(id, PROCEDURE, null, parse("""
                {"id": "%s", "name": "demo: CS231n's tuning procedure, then the search",
                 "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 1e-5, "max": 1}},
                 "budget": {"trials": 4, "concurrentTrials": 1, "stepsPerTrial": 150, "rounds": 2, "refineStepsFactor": 1},
                 "dataset": {"type": "spirals", "classes": 3, "samples": 900, "noise": 0.2},
                 "model": {"hiddenLayers": [64, 64], "activation": "relu", "weightInit": "xavier", "optimizer": "adam",
                           "batchSize": 32, "validateEverySteps": 50},
                 "seed": 3,
                 "preflight": {"initialLoss": {}, "overfitSubset": {"batches": 5, "maxSteps": 500},
                               "lrRangeTest": {"from": 1e-6, "to": 10, "steps": 200}}}""".formatted(id)));
    }

    private static ObjectNode parse(String json) {
        try {
            return (ObjectNode) EventCodec.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a demo study is not valid JSON", e);
        }
    }

    /**
     * Six trials of 300 steps over 10 layers of 64 with SGD: sigmoid with a N(0, 0.05^2) init vanishes, rates above
     * ~1 diverge, ReLU with He init at a sane rate trains (stack-tests' ClosedLoopIT checks this study's outcome).
     */
    static Study searchStudy(String suffix) {
        String id = "demo-search-" + suffix;
        String json = """
                {"id": "%s", "name": "demo: search with diverging and vanishing corners",
                 "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 0.02, "max": 20},
                           "activation": {"type": "categorical", "values": ["sigmoid", "relu"]},
                           "weightInit": {"type": "categorical", "values": ["normal", "relu"]}},
                 "budget": {"trials": 6, "concurrentTrials": 1, "stepsPerTrial": 300, "rounds": 1},
                 "dataset": {"type": "blobs", "classes": 5, "features": 20, "noise": 1.0, "samples": 2000},
                 "model": {"hiddenLayers": [64, 64, 64, 64, 64, 64, 64, 64, 64, 64], "initStd": 0.05,
                           "optimizer": "sgd", "batchSize": 32, "validateEverySteps": 50},
                 "seed": 8}""".formatted(id);
        return new Study(id, SEARCH, null, parse(json));
    }
}
