package io.trainwatch.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;

/**
 * Reads a well-formed {@code step} event straight from Jackson's token stream, without a tree; null for
 * anything else, which the general reader ({@link Fields} over a tree) then handles with its exact errors and
 * warnings. It only ever accepts what the general reader accepts without a warning, with the same values: any
 * other type, unknown or repeated field, null in a map, mistyped or out-of-range value, time that is not
 * {@code ...Z}, big integer or trailing content steps aside. The tree and its duplicate-field sets were about
 * 40 % of the monitor's stream thread (JFR).
 */
final class StepFastPath {

    private static final int SCHEMA_VERSION = 1;
    private static final int TYPE = 1 << 1;
    private static final int RUN_ID = 1 << 2;
    private static final int TIMESTAMP = 1 << 3;
    private static final int STUDY_ID = 1 << 4;
    private static final int TRIAL_ID = 1 << 5;
    private static final int STEP = 1 << 6;
    private static final int EPOCH = 1 << 7;
    private static final int LOSS = 1 << 8;
    private static final int ACCURACY = 1 << 9;
    private static final int LEARNING_RATE = 1 << 10;
    private static final int GRADIENT_NORM = 1 << 11;
    private static final int LAYER_GRADIENT_NORMS = 1 << 12;
    private static final int PARAMETER_NORMS = 1 << 13;
    private static final int UPDATE_RATIOS = 1 << 14;
    private static final int STEP_MILLIS = 1 << 15;
    private static final int EXAMPLES_PER_SECOND = 1 << 16;
    private static final int REQUIRED = SCHEMA_VERSION | TYPE | RUN_ID | TIMESTAMP | STEP | LOSS;

    private StepFastPath() {
    }

    /** Thrown to step aside to the general reader; no stack trace, it is an expected outcome. */
    private static final class Aside extends Exception {
        private static final Aside INSTANCE = new Aside();

        private Aside() {
            super(null, null, false, false);
        }
    }

    /**
     * The result for {@code bytes} when they are a plain step event, else null. {@code factory} need not detect
     * duplicate fields (the bit set of seen fields and the maps' puts do), nor limit nesting (a map holds
     * numbers only): what it skips is what made the general reader's parse dearer.
     */
    static ReadResult<TrainingEvent> read(JsonFactory factory, byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes.length > Contract.MAX_MESSAGE_BYTES) {
            return null;
        }
        try (JsonParser p = factory.createParser(bytes)) {
            StepEvent event = step(p);
            if (p.nextToken() != null) {
                return null;
            }
            return ReadResult.ok(event, new ArrayList<>(0));
        } catch (Aside | RuntimeException | java.io.IOException e) {
            return null;
        }
    }

    private static StepEvent step(JsonParser p) throws Aside, java.io.IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw Aside.INSTANCE;
        }
        int seen = 0;
        int version = 0;
        String runId = null;
        Instant timestamp = null;
        String studyId = null;
        String trialId = null;
        long step = 0;
        int epoch = 0;
        double loss = 0;
        Double accuracy = null;
        Double learningRate = null;
        Double gradientNorm = null;
        Map<String, Double> layerGradientNorms = null;
        Map<String, Double> parameterNorms = null;
        Map<String, Double> updateRatios = null;
        Double stepMillis = null;
        Double examplesPerSecond = null;
        String name;
        while ((name = p.nextFieldName()) != null) {
            int bit = bit(name);
            if (bit == 0 || (seen & bit) != 0) {
                throw Aside.INSTANCE; // unknown (skipped by the general reader, which also checks it) or repeated
            }
            seen |= bit;
            JsonToken t = p.nextToken();
            if (t == JsonToken.VALUE_NULL) {
                if ((bit & REQUIRED) != 0) {
                    throw Aside.INSTANCE;
                }
                continue; // an absent optional field, as for the general reader
            }
            switch (bit) {
                case SCHEMA_VERSION -> {
                    long v = count(p, t);
                    if (v < 1 || v > Contract.SCHEMA_VERSION) {
                        throw Aside.INSTANCE;
                    }
                    version = (int) v;
                }
                case TYPE -> {
                    if (t != JsonToken.VALUE_STRING || !TrainingEvent.STEP.equals(p.getText())) {
                        throw Aside.INSTANCE;
                    }
                }
                case RUN_ID -> {
                    runId = id(p, t);
                    if (runId == null) {
                        throw Aside.INSTANCE;
                    }
                }
                case TIMESTAMP -> {
                    if (t != JsonToken.VALUE_STRING) {
                        throw Aside.INSTANCE;
                    }
                    timestamp = UtcInstants.parseOrNull(p.getText().trim());
                    if (timestamp == null) {
                        throw Aside.INSTANCE;
                    }
                }
                case STUDY_ID -> studyId = id(p, t);
                case TRIAL_ID -> trialId = id(p, t);
                case STEP -> step = count(p, t);
                case EPOCH -> {
                    long e = count(p, t);
                    if (e > Integer.MAX_VALUE) {
                        throw Aside.INSTANCE;
                    }
                    epoch = (int) e;
                }
                case LOSS -> loss = number(p, t);
                case ACCURACY -> {
                    double a = number(p, t);
                    if (!(a >= 0 && a <= 1)) {
                        throw Aside.INSTANCE;
                    }
                    accuracy = a;
                }
                case LEARNING_RATE -> learningRate = number(p, t);
                case GRADIENT_NORM -> gradientNorm = number(p, t);
                case LAYER_GRADIENT_NORMS -> layerGradientNorms = numberMap(p, t);
                case PARAMETER_NORMS -> parameterNorms = numberMap(p, t);
                case UPDATE_RATIOS -> updateRatios = numberMap(p, t);
                case STEP_MILLIS -> stepMillis = number(p, t);
                case EXAMPLES_PER_SECOND -> examplesPerSecond = number(p, t);
                default -> throw Aside.INSTANCE;
            }
        }
        if ((seen & REQUIRED) != REQUIRED || p.currentToken() != JsonToken.END_OBJECT) {
            throw Aside.INSTANCE;
        }
        return new StepEvent(version, runId, timestamp, studyId, trialId, step, epoch, loss, accuracy, learningRate,
                gradientNorm, layerGradientNorms, parameterNorms, updateRatios, stepMillis, examplesPerSecond);
    }

    private static int bit(String name) {
        return switch (name) {
            case "schemaVersion" -> SCHEMA_VERSION;
            case "type" -> TYPE;
            case "runId" -> RUN_ID;
            case "timestamp" -> TIMESTAMP;
            case "studyId" -> STUDY_ID;
            case "trialId" -> TRIAL_ID;
            case "step" -> STEP;
            case "epoch" -> EPOCH;
            case "loss" -> LOSS;
            case "accuracy" -> ACCURACY;
            case "learningRate" -> LEARNING_RATE;
            case "gradientNorm" -> GRADIENT_NORM;
            case "layerGradientNorms" -> LAYER_GRADIENT_NORMS;
            case "parameterNorms" -> PARAMETER_NORMS;
            case "updateRatios" -> UPDATE_RATIOS;
            case "stepMillis" -> STEP_MILLIS;
            case "examplesPerSecond" -> EXAMPLES_PER_SECOND;
            default -> 0;
        };
    }

    /** An integer >= 0 written as an integer token that fits a long. */
    private static long count(JsonParser p, JsonToken t) throws Aside, java.io.IOException {
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw Aside.INSTANCE;
        }
        JsonParser.NumberType type = p.getNumberType();
        if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
            throw Aside.INSTANCE;
        }
        long v = p.getLongValue();
        if (v < 0) {
            throw Aside.INSTANCE;
        }
        return v;
    }

    /** A number token (NaN and +/-Infinity tokens included) or one of the strings NaN, Infinity, -Infinity. */
    private static double number(JsonParser p, JsonToken t) throws Aside, java.io.IOException {
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            return p.getDoubleValue();
        }
        if (t == JsonToken.VALUE_NUMBER_INT) {
            JsonParser.NumberType type = p.getNumberType();
            if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
                throw Aside.INSTANCE;
            }
            return (double) p.getLongValue();
        }
        if (t == JsonToken.VALUE_STRING) {
            return switch (p.getText()) {
                case "NaN" -> Double.NaN;
                case "Infinity", "+Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> throw Aside.INSTANCE;
            };
        }
        throw Aside.INSTANCE;
    }

    /** An id as {@code Fields.optionalId} reads it: blank is absent; too long or a control character steps aside. */
    private static String id(JsonParser p, JsonToken t) throws Aside, java.io.IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw Aside.INSTANCE;
        }
        String id = p.getText();
        if (id.isBlank()) {
            return null;
        }
        if (id.length() > Contract.MAX_ID_LENGTH) {
            throw Aside.INSTANCE;
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                throw Aside.INSTANCE;
            }
        }
        return id;
    }

    private static Map<String, Double> numberMap(JsonParser p, JsonToken t) throws Aside, java.io.IOException {
        if (t != JsonToken.START_OBJECT) {
            throw Aside.INSTANCE;
        }
        LayerMap.Builder out = new LayerMap.Builder();
        String key;
        while ((key = p.nextFieldName()) != null) {
            if (!out.add(key, number(p, p.nextToken()))) {
                throw Aside.INSTANCE; // a repeated key: the general reader rejects the message
            }
        }
        return out.build();
    }
}
