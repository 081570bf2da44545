package io.trainwatch.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and writes every message of the contract as JSON.
 *
 * <p>Reading is strict about the core fields and tolerant of everything else: it never throws, and either
 * returns the record or the precise reason for rejecting the bytes (not JSON, over {@value
 * Contract#MAX_MESSAGE_BYTES} bytes, nested too deep, unknown {@code type}, a missing or mistyped core
 * field, a negative step, a newer {@code schemaVersion}, ...). Unknown fields are ignored; a malformed
 * optional metric is dropped with a warning rather than losing the valid rest of the event. NaN and
 * +/-Infinity are data: they are read from bare JSON tokens (what Python's {@code json} writes) and from
 * the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, and written as those strings.
 */
public final class EventCodec {

    /** The deepest nesting accepted; the deepest contract message (run-started) needs 4. */
    public static final int MAX_NESTING_DEPTH = 16;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // FastDoubleParser: the same correctly rounded doubles as Double.parseDouble, whose slow path
            // (BigInteger arithmetic for 17-digit decimals) was ~13 % of the monitor's stream thread.
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxNumberLength(64)
                    .maxStringLength(Contract.MAX_MESSAGE_BYTES)
                    .build())
            .build();

    /** The factory of {@link StepFastPath}: the same limits less duplicate detection, which it does itself. */
    private static final JsonFactory STEP_FACTORY = FACTORY.rebuild()
            .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** The factory for dead letters, whose base64 payload may be longer than a whole event. */
    private static final JsonFactory LETTER_FACTORY = FACTORY.rebuild()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING_DEPTH)
                    .maxNumberLength(64)
                    .maxStringLength(DeadLetter.MAX_LETTER_BYTES)
                    .build())
            .build();

    /** The mapper of the contract: ISO-8601 times, no nulls written, unknown fields ignored. */
    public static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY)
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private EventCodec() {
    }

    /** The JSON bytes of a contract record. */
    public static byte[] write(Object message) {
        try {
            return MAPPER.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write " + message.getClass().getSimpleName(), e);
        }
    }

    /** The JSON text of a contract record. */
    public static String writeString(Object message) {
        try {
            return MAPPER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write " + message.getClass().getSimpleName(), e);
        }
    }

    /** Reads a message of {@link Topics#TRAINING_EVENTS}. */
    public static ReadResult<TrainingEvent> readTrainingEvent(byte[] bytes) {
        // Most messages are plain step events: read them from the tokens, without a tree; the rest (other
        // types, anything odd or invalid) takes the general reader, which words the errors and warnings.
        ReadResult<TrainingEvent> step = StepFastPath.read(STEP_FACTORY, bytes);
        return step != null ? step : readTrainingEventGeneral(bytes);
    }

    /** {@link #readTrainingEvent} without the fast path for step events (the reference it is tested against). */
    static ReadResult<TrainingEvent> readTrainingEventGeneral(byte[] bytes) {
        return read(bytes, EventCodec::trainingEvent);
    }

    /** Reads a message of {@link Topics#TRAINING_ALERTS}. */
    public static ReadResult<Alert> readAlert(byte[] bytes) {
        return read(bytes, EventCodec::alert);
    }

    /** Reads a message of {@link Topics#TUNER_COMMANDS}. */
    public static ReadResult<TunerCommand> readCommand(byte[] bytes) {
        return read(bytes, EventCodec::command);
    }

    /** Reads a message of {@link Topics#TUNER_TRIALS}. */
    public static ReadResult<Trial> readTrial(byte[] bytes) {
        return read(bytes, EventCodec::trial);
    }

    /** Reads a message of {@link Topics#TRAINING_EVENTS_DLQ}. */
    public static ReadResult<DeadLetter> readDeadLetter(byte[] bytes) {
        return read(bytes, EventCodec::deadLetter, DeadLetter.MAX_LETTER_BYTES);
    }

    /** Reads any JSON object within the contract's limits (size, depth, NaN tokens, duplicates). */
    public static ReadResult<ObjectNode> readObject(byte[] bytes) {
        return read(bytes, f -> f.node);
    }

    private interface Mapper<T> {
        T map(Fields f) throws Fields.Rejected;
    }

    private static <T> ReadResult<T> read(byte[] bytes, Mapper<T> mapper) {
        return read(bytes, mapper, Contract.MAX_MESSAGE_BYTES);
    }

    private static <T> ReadResult<T> read(byte[] bytes, Mapper<T> mapper, int maxBytes) {
        try {
            ObjectNode node = parse(bytes, maxBytes);
            List<String> warnings = new ArrayList<>(0);
            Fields f = new Fields(node, "", warnings);
            return ReadResult.ok(mapper.map(f), warnings);
        } catch (Fields.Rejected e) {
            return ReadResult.rejected(e.getMessage());
        } catch (IllegalArgumentException e) {
            // A record's own invariant, e.g. a field combination the reader did not foresee.
            return ReadResult.rejected(e.getMessage());
        } catch (RuntimeException e) {
            return ReadResult.rejected("unreadable: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (StackOverflowError e) {
            return ReadResult.rejected("nesting deeper than " + MAX_NESTING_DEPTH + " levels");
        }
    }

    private static ObjectNode parse(byte[] bytes, int maxBytes) throws Fields.Rejected {
        if (bytes == null || bytes.length == 0) {
            throw new Fields.Rejected("empty payload");
        }
        if (bytes.length > maxBytes) {
            throw new Fields.Rejected("payload of " + bytes.length + " bytes is over the "
                    + (maxBytes / 1024) + " KiB limit");
        }
        JsonNode node;
        JsonFactory factory = maxBytes > Contract.MAX_MESSAGE_BYTES ? LETTER_FACTORY : FACTORY;
        try (JsonParser parser = factory.createParser(bytes)) {
            parser.setCodec(MAPPER);
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new Fields.Rejected("not JSON: no content");
            }
            node = parser.readValueAsTree();
            if (parser.nextToken() != null) {
                throw new Fields.Rejected("not JSON: trailing content after the value at "
                        + location(parser));
            }
        } catch (StreamConstraintsException e) {
            String m = String.valueOf(e.getOriginalMessage());
            if (m.contains("nesting depth")) {
                throw new Fields.Rejected("nesting deeper than " + MAX_NESTING_DEPTH + " levels");
            }
            throw new Fields.Rejected("over a size limit: " + m);
        } catch (JsonProcessingException e) {
            String m = String.valueOf(e.getOriginalMessage());
            if (m.startsWith("Duplicate field")) {
                throw new Fields.Rejected("duplicate field " + m.substring("Duplicate field ".length()));
            }
            throw new Fields.Rejected("not JSON: " + firstLine(m) + " at "
                    + (e.getLocation() == null ? "?" : "line " + e.getLocation().getLineNr()
                    + " column " + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            throw new Fields.Rejected("not JSON: " + firstLine(e.getMessage()));
        }
        if (!(node instanceof ObjectNode object)) {
            throw new Fields.Rejected("not a JSON object but " + JsonValues.kind(node));
        }
        return object;
    }

    private static String location(JsonParser parser) {
        var l = parser.currentLocation();
        return "line " + l.getLineNr() + " column " + l.getColumnNr();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    private static TrainingEvent trainingEvent(Fields f) throws Fields.Rejected {
        int version = f.schemaVersion();
        String type = f.requiredText("type");
        String runId = f.requiredId("runId");
        var timestamp = f.requiredInstant("timestamp");
        String studyId = f.optionalId("studyId");
        String trialId = f.optionalId("trialId");
        return switch (type) {
            case TrainingEvent.RUN_STARTED -> new RunStarted(version, runId, timestamp, studyId, trialId,
                    runConfig(f.requiredObject("config")), f.optionalText("backend"), f.optionalText("device"),
                    control(f));
            case TrainingEvent.STEP -> new StepEvent(version, runId, timestamp, studyId, trialId,
                    f.requiredCount("step"), f.optionalInt("epoch", 0), f.requiredNumber("loss"),
                    f.optionalFraction("accuracy"), f.optionalNumber("learningRate"),
                    f.optionalNumber("gradientNorm"), f.numberMap("layerGradientNorms"),
                    f.numberMap("parameterNorms"), f.numberMap("updateRatios"),
                    f.optionalNumber("stepMillis"), f.optionalNumber("examplesPerSecond"));
            case TrainingEvent.VALIDATION -> {
                long step = f.requiredCount("step");
                int epoch = f.optionalInt("epoch", 0);
                Double trainLoss = f.optionalNumber("trainLoss");
                Double trainAccuracy = f.optionalFraction("trainAccuracy");
                Double validationLoss = f.optionalNumber("validationLoss");
                Double validationAccuracy = f.optionalFraction("validationAccuracy");
                if (validationLoss == null && validationAccuracy == null) {
                    throw new Fields.Rejected("missing field 'validationLoss' (or 'validationAccuracy')");
                }
                yield new ValidationEvent(version, runId, timestamp, studyId, trialId, step, epoch, trainLoss,
                        trainAccuracy, validationLoss, validationAccuracy);
            }
            case TrainingEvent.COMMAND_APPLIED -> new CommandApplied(version, runId, timestamp, studyId, trialId,
                    f.requiredText("commandId"), f.requiredCount("step"), f.optionalText("command"),
                    f.optionalMap("details"));
            case TrainingEvent.RUN_FINISHED -> new RunFinished(version, runId, timestamp, studyId, trialId,
                    f.requiredOneOf("status", RunFinished.STATUSES), f.optionalText("reason"),
                    f.requiredCount("step"), f.optionalCount("droppedEvents"));
            default -> throw new Fields.Rejected("unknown type '" + JsonValues.clip(type) + "' (expected one of "
                    + "run-started, step, validation, command-applied, run-finished)");
        };
    }

    private static RunConfig runConfig(Fields c) throws Fields.Rejected {
        List<LayerInfo> layers = new ArrayList<>();
        for (Fields layer : c.objectList("layers")) {
            layers.add(new LayerInfo(layer.optionalText("name"), layer.optionalText("type"),
                    layer.optionalIntOrNull("nIn"), layer.optionalIntOrNull("nOut"), layer.optionalText("activation"),
                    layer.optionalText("weightInit")));
        }
        String loss = c.optionalText("lossFunction");
        Double seed = c.optionalNumber("seed");
        return new RunConfig(c.optionalText("scenario"), c.optionalText("dataset"), c.optionalIntOrNull("numClasses"),
                loss == null ? null : LossFunctions.normalize(loss), layers, c.optionalText("optimizer"),
                c.optionalNumber("learningRate"), c.optionalIntOrNull("batchSize"), c.optionalIntOrNull("epochs"),
                c.optionalNumber("l2"), c.optionalNumber("dropout"),
                seed == null || !Double.isFinite(seed) ? null : seed.longValue(), c.optionalBoolean("batchNorm"),
                c.optionalMap("schedule"), c.optionalIntOrNull("subsetBatches"));
    }

    /**
     * A {@code control} object given as a parsed JSON value (a map, as in a REST request's body), read by the same
     * rules as the one of a {@code run-started}; null when {@code value} is null. Unknown fields are ignored, as in an
     * event.
     *
     * @throws IllegalArgumentException when it is malformed; the message names the field
     *                                  ({@code field 'control.mode' must be one of ...}, {@code missing field ...})
     */
    public static RunControl readControl(Object value) {
        if (value == null) {
            return null;
        }
        ObjectNode holder = MAPPER.createObjectNode();
        holder.set("control", MAPPER.valueToTree(value));
        try {
            return control(new Fields(holder, "", new ArrayList<>(0)));
        } catch (Fields.Rejected e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    /** The optional {@code control} of a run-started: a malformed one is rejected (a run must not be steered by mistake). */
    private static RunControl control(Fields f) throws Fields.Rejected {
        Fields c = f.optionalObject("control");
        if (c == null) {
            return null;
        }
        String mode = c.requiredOneOf("mode", RunControl.MODES);
        Long maxDecays = c.optionalCount("maxDecays");
        if (maxDecays != null && maxDecays > Integer.MAX_VALUE) {
            throw new Fields.Rejected("field 'control.maxDecays' is too large: " + maxDecays);
        }
        Double minRate = c.optionalStrictNumber("minLearningRate");
        if (minRate != null && !(Double.isFinite(minRate) && minRate > 0)) {
            throw new Fields.Rejected("field 'control.minLearningRate' must be a finite number > 0, was " + minRate);
        }
        return new RunControl(mode, maxDecays == null ? null : maxDecays.intValue(), minRate,
                c.strictBoolean("allowStop"));
    }

    private static Alert alert(Fields f) throws Fields.Rejected {
        return new Alert(f.schemaVersion(), f.requiredText("alertId"), f.requiredOneOf("status", Alert.STATUSES),
                f.requiredId("runId"), f.optionalId("studyId"), f.optionalId("trialId"), f.requiredText("detector"),
                f.requiredOneOf("severity", Alert.SEVERITIES), f.requiredCount("step"), f.optionalInt("epoch", 0),
                f.requiredInstant("timestamp"), f.requiredText("summary"), f.numberMap("evidence"),
                f.optionalText("remedy"), f.optionalText("suggestedAction"));
    }

    private static TunerCommand command(Fields f) throws Fields.Rejected {
        int version = f.schemaVersion();
        String commandId = f.requiredText("commandId");
        String runId = f.requiredId("runId");
        String type = f.requiredOneOf("type", TunerCommand.TYPES);
        Double lr = f.optionalNumber("learningRate");
        if (TunerCommand.SET_LEARNING_RATE.equals(type)) {
            if (lr == null) {
                throw new Fields.Rejected("missing field 'learningRate' (required by set-learning-rate)");
            }
            if (!Double.isFinite(lr) || lr <= 0) {
                throw new Fields.Rejected("field 'learningRate' must be a finite number > 0, was " + lr);
            }
        }
        return new TunerCommand(version, commandId, runId, type, lr, f.requiredText("reason"),
                f.optionalText("alertId"), f.optionalInstant("timestamp"), f.optionalId("studyId"),
                f.optionalId("trialId"), mode(f));
    }

    /** A command's optional mode; an unknown one is rejected, so that no trainer applies what it cannot read. */
    private static String mode(Fields f) throws Fields.Rejected {
        if (!f.has("mode")) {
            return null;
        }
        return f.requiredOneOf("mode", TunerCommand.MODES);
    }

    private static Trial trial(Fields f) throws Fields.Rejected {
        int version = f.schemaVersion();
        String studyId = f.requiredId("studyId");
        String trialId = f.requiredId("trialId");
        String runId = f.requiredId("runId");
        Map<String, Object> hyperparameters = f.requiredMap("hyperparameters");
        Fields budget = f.requiredObject("budget");
        Long maxSteps = budget.optionalCount("maxSteps");
        Integer maxEpochs = budget.optionalIntOrNull("maxEpochs");
        if ((maxSteps != null && maxSteps == 0) || (maxEpochs != null && maxEpochs <= 0)) {
            throw new Fields.Rejected("field 'budget' must allow at least one step and one epoch");
        }
        if (maxSteps == null && maxEpochs == null) {
            throw new Fields.Rejected("missing field 'budget.maxSteps' (or 'budget.maxEpochs')");
        }
        return new Trial(version, studyId, trialId, runId, hyperparameters, new Trial.Budget(maxSteps, maxEpochs),
                f.requiredOneOf("origin", Trial.ORIGINS), f.optionalMap("base"), f.optionalInstant("timestamp"));
    }

    private static DeadLetter deadLetter(Fields f) throws Fields.Rejected {
        Long partition = f.optionalCount("sourcePartition");
        return new DeadLetter(f.schemaVersion(), f.requiredText("reason"), f.optionalText("sourceTopic"),
                partition == null ? null : partition.intValue(), f.optionalCount("sourceOffset"),
                f.optionalText("key"), f.requiredInstant("timestamp"), f.optionalText("rejectedBy"),
                f.optionalText("payloadBase64"), f.optionalText("payloadPreview"), f.optionalCount("payloadSize"),
                f.optionalText("payloadSha256"), f.optionalBoolean("payloadTruncated"),
                f.optionalText("disposition") == null ? null
                        : f.requiredOneOf("disposition", Set.of(DeadLetter.REJECTED, DeadLetter.ACCEPTED_WITH_WARNINGS)));
    }
}
