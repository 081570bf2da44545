package io.trainwatch.tuner.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.tuner.preflight.PreflightSpec;
import io.trainwatch.tuner.preflight.PreflightSpecParser;
import io.trainwatch.tuner.search.TrainerParameters;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads and validates a study request (JSON), or throws an {@link InvalidStudyException} that names the
 * first wrong field, e.g. {@code space.learningRate.min}. Unknown fields are rejected, so that a typo is
 * never silently ignored.
 */
public final class StudySpecParser {

    /** At most this many trials per study: the study document stays well under Kafka's 1 MB message limit. */
    public static final int MAX_TRIALS = 200;
    public static final int MAX_CONCURRENT = 32;
    public static final int MAX_PARAMETERS = 32;
    public static final int MAX_CHOICES = 64;
    public static final int MAX_ROUNDS = 10;
    public static final long MAX_STEPS = 100_000_000L;
    /** Seed of the random search when the request names none. */
    public static final long DEFAULT_SEED = 42;
    /** Two rounds by default: a coarse random round and one refined round (CS231n: coarse to fine). */
    public static final int DEFAULT_ROUNDS = 2;
    /**
     * Refined rounds train as long as the first by default, so that a study spends at most the steps its request
     * writes (trials x stepsPerTrial); CS231n's longer later stages stay an explicit {@code refineStepsFactor}.
     */
    public static final double DEFAULT_REFINE_STEPS_FACTOR = 1.0;

    private static final Set<String> FIELDS = Set.of("id", "name", "objective", "space", "budget", "dataset", "model",
            "seed", "remedies", "reactions", "preflight");
    private static final Set<String> BUDGET_FIELDS = Set.of("trials", "concurrentTrials", "stepsPerTrial", "rounds",
            "refineStepsFactor");
    private static final Set<String> PARAM_FIELDS = Set.of("type", "min", "max", "values");
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern PARAM_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");

    /** A parsed request: the spec and the study id it asked for (or null). */
    public record Parsed(String id, StudySpec spec) {
    }

    private StudySpecParser() {
    }

    public static Parsed parse(byte[] json) {
        ReadResult<ObjectNode> read = EventCodec.readObject(json);
        if (!read.isValid()) {
            throw new InvalidStudyException("body", read.error());
        }
        return parse(read.value());
    }

    public static Parsed parse(String json) {
        return parse(json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8));
    }

    public static Parsed parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new InvalidStudyException("body", "must be a JSON object");
        }
        rejectUnknown(root, "", FIELDS);
        String id = null;
        if (present(root, "id")) {
            id = text(root, "id", "id");
            if (!ID.matcher(id).matches()) {
                throw new InvalidStudyException("id", "must match " + ID.pattern() + " (lower case, digits, . _ -)");
            }
        }
        String name = present(root, "name") ? text(root, "name", "name") : null;
        if (name != null && name.length() > 200) {
            throw new InvalidStudyException("name", "at most 200 characters");
        }
        if (!present(root, "objective")) {
            throw new InvalidStudyException("objective", "is required: maximize-validation-accuracy or minimize-validation-loss");
        }
        Objective objective = Objective.parse(root.get("objective").isTextual() ? root.get("objective").asText() : null);
        if (objective == null) {
            throw new InvalidStudyException("objective", "must be maximize-validation-accuracy or minimize-validation-loss");
        }
        Map<String, ParamSpec> space = space(root.get("space"));
        StudyBudget budget = budget(root.get("budget"));
        if (!present(root, "dataset")) {
            throw new InvalidStudyException("dataset", "is required: the trainer's data set (a name or an object)");
        }
        Map<String, Object> dataset;
        JsonNode ds = root.get("dataset");
        if (ds.isTextual() && !ds.asText().isBlank()) {
            dataset = new LinkedHashMap<>(Map.of("type", ds.asText()));
        } else if (ds.isObject()) {
            dataset = toMap(ds);
        } else {
            throw new InvalidStudyException("dataset", "must be a data set name or an object");
        }
        Map<String, Object> model = Map.of();
        if (present(root, "model")) {
            if (!root.get("model").isObject()) {
                throw new InvalidStudyException("model", "must be an object (the trainer's base configuration)");
            }
            model = toMap(root.get("model"));
            if (model.containsKey("dataset")) {
                throw new InvalidStudyException("model.dataset", "give the data set in the top-level field 'dataset'");
            }
            for (String key : model.keySet()) {
                if (!TrainerParameters.MODEL_FIELDS.contains(key)) {
                    throw new InvalidStudyException("model." + clip(key), "the trainer's configuration has no field '"
                            + clip(key) + "' (known: " + new TreeSet<>(TrainerParameters.MODEL_FIELDS) + ")");
                }
            }
        }
        long seed = DEFAULT_SEED;
        if (present(root, "seed")) {
            JsonNode s = root.get("seed");
            if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                throw new InvalidStudyException("seed", "must be an integer");
            }
            seed = s.asLong();
        }
        boolean remedies = true;
        if (present(root, "remedies")) {
            if (!root.get("remedies").isBoolean()) {
                throw new InvalidStudyException("remedies", "must be true or false");
            }
            remedies = root.get("remedies").asBoolean();
        }
        boolean reactions = true;
        if (present(root, "reactions")) {
            if (!root.get("reactions").isBoolean()) {
                throw new InvalidStudyException("reactions", "must be true or false");
            }
            reactions = root.get("reactions").asBoolean();
        }
        PreflightSpec preflight = PreflightSpecParser.parse(root.get("preflight"));
        return new Parsed(id, new StudySpec(name, objective, space, budget, dataset, model, seed, remedies, reactions,
                preflight));
    }

    private static Map<String, ParamSpec> space(JsonNode node) {
        if (node == null || node.isNull()) {
            throw new InvalidStudyException("space", "is required: hyperparameter name -> {type, min, max} or {type: categorical, values}");
        }
        if (!node.isObject() || node.isEmpty()) {
            throw new InvalidStudyException("space", "must be an object with at least one hyperparameter");
        }
        if (node.size() > MAX_PARAMETERS) {
            throw new InvalidStudyException("space", "at most " + MAX_PARAMETERS + " hyperparameters");
        }
        Map<String, ParamSpec> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = "space." + e.getKey();
            if (!PARAM_NAME.matcher(e.getKey()).matches()) {
                throw new InvalidStudyException(field, "a hyperparameter name must match " + PARAM_NAME.pattern());
            }
            if (!TrainerParameters.HYPERPARAMETERS.contains(e.getKey())) {
                throw new InvalidStudyException(field, "the trainer knows no hyperparameter '" + e.getKey() + "' (known: "
                        + new TreeSet<>(TrainerParameters.HYPERPARAMETERS) + ")");
            }
            out.put(e.getKey(), param(field, e.getValue()));
        }
        return out;
    }

    private static ParamSpec param(String field, JsonNode p) {
        if (p == null || !p.isObject()) {
            throw new InvalidStudyException(field, "must be an object like {\"type\": \"log-uniform\", \"min\": 1e-4, \"max\": 1}");
        }
        rejectUnknown(p, field + ".", PARAM_FIELDS);
        if (!present(p, "type")) {
            throw new InvalidStudyException(field + ".type", "is required: one of " + ParamSpec.TYPES);
        }
        String type = text(p, "type", field + ".type");
        if (!ParamSpec.TYPES.contains(type)) {
            throw new InvalidStudyException(field + ".type", "must be one of " + ParamSpec.TYPES + ", was '" + clip(type) + "'");
        }
        if (ParamSpec.CATEGORICAL.equals(type)) {
            if (present(p, "min") || present(p, "max")) {
                throw new InvalidStudyException(field + (present(p, "min") ? ".min" : ".max"), "does not apply to categorical");
            }
            JsonNode values = p.get("values");
            if (values == null || !values.isArray() || values.isEmpty()) {
                throw new InvalidStudyException(field + ".values", "is required: a non-empty list of choices");
            }
            if (values.size() > MAX_CHOICES) {
                throw new InvalidStudyException(field + ".values", "at most " + MAX_CHOICES + " choices");
            }
            List<Object> choices = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                JsonNode v = values.get(i);
                Object value = scalarOrList(v);
                if (value == null) {
                    throw new InvalidStudyException(field + ".values[" + i + "]", "must be a string, a finite number, a boolean or a list of numbers");
                }
                if (choices.contains(value)) {
                    throw new InvalidStudyException(field + ".values[" + i + "]", "duplicate choice " + clip(String.valueOf(value)));
                }
                choices.add(value);
            }
            return ParamSpec.categorical(choices);
        }
        if (present(p, "values")) {
            throw new InvalidStudyException(field + ".values", "only applies to categorical");
        }
        double min = number(p, "min", field + ".min");
        double max = number(p, "max", field + ".max");
        if (min > max) {
            throw new InvalidStudyException(field + ".max", "must be >= min (" + min + "), was " + max);
        }
        if (ParamSpec.LOG_UNIFORM.equals(type) && min <= 0) {
            throw new InvalidStudyException(field + ".min", "must be > 0 for log-uniform, was " + min);
        }
        if (ParamSpec.INTEGER.equals(type)) {
            if (min != Math.rint(min)) {
                throw new InvalidStudyException(field + ".min", "must be a whole number for integer, was " + min);
            }
            if (max != Math.rint(max)) {
                throw new InvalidStudyException(field + ".max", "must be a whole number for integer, was " + max);
            }
            if (Math.abs(min) > 1e12 || Math.abs(max) > 1e12) {
                throw new InvalidStudyException(field + ".max", "integers beyond 1e12 are not supported");
            }
        }
        return new ParamSpec(type, min, max, null);
    }

    private static StudyBudget budget(JsonNode b) {
        if (b == null || b.isNull()) {
            throw new InvalidStudyException("budget", "is required: {trials, concurrentTrials, stepsPerTrial}");
        }
        if (!b.isObject()) {
            throw new InvalidStudyException("budget", "must be an object");
        }
        rejectUnknown(b, "budget.", BUDGET_FIELDS);
        int trials = (int) integer(b, "trials", null, 1, MAX_TRIALS);
        int concurrent = (int) integer(b, "concurrentTrials", 1L, 1, MAX_CONCURRENT);
        long steps = integer(b, "stepsPerTrial", null, 1, MAX_STEPS);
        int rounds = (int) integer(b, "rounds", (long) DEFAULT_ROUNDS, 1, MAX_ROUNDS);
        if (present(b, "rounds") && rounds > trials) {
            throw new InvalidStudyException("budget.rounds", "must be <= budget.trials (" + trials + "), was " + rounds);
        }
        rounds = Math.min(rounds, trials);
        double factor = DEFAULT_REFINE_STEPS_FACTOR;
        if (present(b, "refineStepsFactor")) {
            factor = number(b, "refineStepsFactor", "budget.refineStepsFactor");
            if (factor < 1 || factor > 10) {
                throw new InvalidStudyException("budget.refineStepsFactor", "must be between 1 and 10, was " + factor);
            }
        }
        return new StudyBudget(trials, concurrent, steps, rounds, factor);
    }

    private static long integer(JsonNode node, String name, Long dflt, long min, long max) {
        String field = "budget." + name;
        if (!present(node, name)) {
            if (dflt == null) {
                throw new InvalidStudyException(field, "is required");
            }
            return dflt;
        }
        JsonNode v = node.get(name);
        if (!v.isNumber() || !v.canConvertToLong() || v.asDouble() != Math.rint(v.asDouble())) {
            throw new InvalidStudyException(field, "must be a whole number");
        }
        long value = v.asLong();
        if (value < min || value > max) {
            throw new InvalidStudyException(field, "must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    private static double number(JsonNode node, String name, String field) {
        if (!present(node, name)) {
            throw new InvalidStudyException(field, "is required");
        }
        JsonNode v = node.get(name);
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new InvalidStudyException(field, "must be a finite number");
        }
        return v.asDouble();
    }

    private static String text(JsonNode node, String name, String field) {
        JsonNode v = node.get(name);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new InvalidStudyException(field, "must be a non-empty string");
        }
        return v.asText().trim();
    }

    private static boolean present(JsonNode node, String name) {
        return node.has(name) && !node.get(name).isNull();
    }

    private static void rejectUnknown(JsonNode node, String prefix, Set<String> known) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new InvalidStudyException(prefix + clip(f), "unknown field (known: " + new TreeSet<>(known) + ")");
            }
        }
    }

    private static Object scalarOrList(JsonNode v) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.asInt();
        }
        if (v.isNumber() && Double.isFinite(v.asDouble())) {
            return v.asDouble();
        }
        if (v.isArray() && !v.isEmpty() && v.size() <= 64) {
            List<Object> list = new ArrayList<>();
            for (JsonNode x : v) {
                if (x.isIntegralNumber() && x.canConvertToInt()) {
                    list.add(x.asInt());
                } else if (x.isNumber() && Double.isFinite(x.asDouble())) {
                    list.add(x.asDouble());
                } else {
                    return null;
                }
            }
            return List.copyOf(list);
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toMap(JsonNode node) {
        return EventCodec.MAPPER.convertValue(node, LinkedHashMap.class);
    }

    private static String clip(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
