package io.trainwatch.events;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input is rejected with a precise reason, never an exception; valid data next to odd fields is kept. */
class HostileInputTest {

    private static final String HEAD = "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r1\","
            + "\"timestamp\":\"2026-11-23T10:00:00Z\",";

    private static ReadResult<TrainingEvent> read(String json) {
        return EventCodec.readTrainingEvent(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String rejection(String json) {
        ReadResult<TrainingEvent> r = read(json);
        assertThat(r.isValid()).as("accepted: %s", json).isFalse();
        return r.error();
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "'{\"schemaVersion\":1,\"type\":\"step\"'                      | not JSON: ",
            "'not json at all'                                             | not JSON: ",
            "'[1,2,3]'                                                     | not a JSON object but an array",
            "'\"a string\"'                                                | not a JSON object but the string 'a string'",
            "'{}'                                                          | missing field 'schemaVersion'",
            "'{\"schemaVersion\":2,\"type\":\"step\"}'                     | schemaVersion 2 is newer than the supported 1",
            "'{\"schemaVersion\":\"1\"}'                                   | field 'schemaVersion' must be an integer, was the string '1'",
            "'{\"schemaVersion\":1,\"type\":\"epoch\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\"}' | unknown type 'epoch'",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"loss\":1}' | missing field 'runId'",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"  \",\"timestamp\":\"2026-11-23T10:00:00Z\"}' | field 'runId' must not be blank",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":7,\"timestamp\":\"2026-11-23T10:00:00Z\"}' | field 'runId' must be a string, was the number 7",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"yesterday\"}' | field 'timestamp' is not an ISO-8601 time: 'yesterday'",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":1700000000}' | field 'timestamp' must be an ISO-8601 string, was the number 1700000000",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":-3,\"loss\":1}' | field 'step' must be >= 0, was -3",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1.5,\"loss\":1}' | field 'step' must be an integer, was the number 1.5",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1}' | missing field 'loss'",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"loss\":\"low\"}' | field 'loss' must be a number, was the string 'low'",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"loss\":true}' | field 'loss' must be a number, was the boolean true",
            "'{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"runId\":\"s\"}' | duplicate field 'runId'",
            "'{\"schemaVersion\":1,\"type\":\"validation\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":5}' | missing field 'validationLoss' (or 'validationAccuracy')",
            "'{\"schemaVersion\":1,\"type\":\"run-finished\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"status\":\"done\",\"step\":5}' | field 'status' must be one of [completed, diverged, failed, stopped], was 'done'",
            "'{\"schemaVersion\":1,\"type\":\"run-started\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"config\":[]}' | field 'config' must be an object, was an array",
            "'{\"schemaVersion\":1,\"type\":\"step\"} []'                    | not JSON: trailing content after the value",
    })
    void rejectsWithAPreciseReason(String json, String reason) {
        assertThat(rejection(json)).startsWith(reason.trim());
    }

    @Test
    void rejectsEmptyAndOversizedPayloads() {
        assertThat(EventCodec.readTrainingEvent(new byte[0]).error()).isEqualTo("empty payload");
        assertThat(EventCodec.readTrainingEvent(null).error()).isEqualTo("empty payload");
        String huge = HEAD + "\"step\":1,\"loss\":1,\"pad\":\"" + "x".repeat(70_000) + "\"}";
        assertThat(rejection(huge)).matches("payload of \\d+ bytes is over the 64 KiB limit");
    }

    @Test
    void rejectsDeepNestingWithoutOverflowingTheStack() {
        String deep = "{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000);
        assertThat(rejection(deep)).isEqualTo("nesting deeper than 16 levels");
        String arrays = HEAD + "\"step\":1,\"loss\":1,\"x\":" + "[".repeat(30_000);
        assertThat(rejection(arrays)).isEqualTo("nesting deeper than 16 levels");
    }

    @Test
    void rejectsIdsWithControlCharactersOrTooLong() {
        assertThat(rejection(HEAD.replace("\"r1\"", "\"r\\u0000x\"") + "\"step\":1,\"loss\":1}"))
                .isEqualTo("field 'runId' contains a control character");
        assertThat(rejection(HEAD.replace("\"r1\"", "\"" + "r".repeat(201) + "\"") + "\"step\":1,\"loss\":1}"))
                .isEqualTo("field 'runId' is longer than 200 characters");
    }

    @Test
    void nonFiniteNumbersAreDataInEveryForm() {
        String json = HEAD + "\"step\":3,\"loss\":NaN,\"gradientNorm\":Infinity,\"learningRate\":\"-Infinity\","
                + "\"layerGradientNorms\":{\"l0\":-Infinity,\"l1\":\"NaN\",\"l2\":\"Infinity\",\"l3\":1e400}}";
        ReadResult<TrainingEvent> r = read(json);
        assertThat(r.error()).isNull();
        StepEvent step = (StepEvent) r.value();
        assertThat(step.loss()).isNaN();
        assertThat(step.gradientNorm()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(step.learningRate()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(step.layerGradientNorms()).containsEntry("l0", Double.NEGATIVE_INFINITY)
                .containsEntry("l2", Double.POSITIVE_INFINITY).containsEntry("l3", Double.POSITIVE_INFINITY);
        assertThat(step.layerGradientNorms().get("l1")).isNaN();
    }

    @Test
    void malformedOptionalMetricsAreDroppedAndTheRestIsKept() {
        String json = HEAD + "\"step\":9,\"epoch\":1,\"loss\":0.5,\"accuracy\":\"high\",\"gradientNorm\":[1],"
                + "\"layerGradientNorms\":{\"l0\":0.1,\"l1\":\"big\",\"l2\":0.3},\"parameterNorms\":7,"
                + "\"stepMillis\":1.2,\"unknownField\":{\"deep\":[1,2]}}";
        ReadResult<TrainingEvent> r = read(json);
        assertThat(r.error()).isNull();
        StepEvent step = (StepEvent) r.value();
        assertThat(step.loss()).isEqualTo(0.5);
        assertThat(step.stepMillis()).isEqualTo(1.2);
        assertThat(step.accuracy()).isNull();
        assertThat(step.gradientNorm()).isNull();
        assertThat(step.parameterNorms()).isNull();
        assertThat(step.layerGradientNorms()).containsOnlyKeys("l0", "l2");
        assertThat(r.warnings()).containsExactly(
                "field 'accuracy' must be a number in [0, 1], was the string 'high'; dropped",
                "field 'gradientNorm' must be a number, was an array; dropped",
                "field 'layerGradientNorms.l1' must be a number, was the string 'big'; dropped",
                "field 'parameterNorms' must be an object of numbers, was the number 7; dropped");
    }

    @Test
    void naiveTimestampsAreTakenAsUtcWithAWarning() {
        ReadResult<TrainingEvent> r = read(HEAD.replace("2026-11-23T10:00:00Z", "2026-11-23T10:00:00.123456")
                + "\"step\":1,\"loss\":1}");
        assertThat(r.value().timestamp()).isEqualTo(java.time.Instant.parse("2026-11-23T10:00:00.123456Z"));
        assertThat(r.warnings()).containsExactly("field 'timestamp' has no time zone; taken as UTC");
        ReadResult<TrainingEvent> offset = read(HEAD.replace("2026-11-23T10:00:00Z", "2026-11-23T11:00:00+01:00")
                + "\"step\":1,\"loss\":1}");
        assertThat(offset.value().timestamp()).isEqualTo(java.time.Instant.parse("2026-11-23T10:00:00Z"));
    }

    @Test
    void commandsAndTrialsAreStrictToo() {
        assertThat(EventCodec.readCommand(("{\"schemaVersion\":1,\"commandId\":\"c\",\"runId\":\"r\","
                + "\"type\":\"set-learning-rate\",\"reason\":\"x\"}").getBytes()).error())
                .isEqualTo("missing field 'learningRate' (required by set-learning-rate)");
        assertThat(EventCodec.readCommand(("{\"schemaVersion\":1,\"commandId\":\"c\",\"runId\":\"r\","
                + "\"type\":\"set-learning-rate\",\"learningRate\":\"NaN\",\"reason\":\"x\"}").getBytes()).error())
                .isEqualTo("field 'learningRate' must be a finite number > 0, was NaN");
        assertThat(EventCodec.readCommand(("{\"schemaVersion\":1,\"commandId\":\"c\",\"runId\":\"r\","
                + "\"type\":\"reboot\",\"reason\":\"x\"}").getBytes()).error())
                .isEqualTo("field 'type' must be one of [set-learning-rate, stop], was 'reboot'");
        assertThat(EventCodec.readTrial(("{\"schemaVersion\":1,\"studyId\":\"s\",\"trialId\":\"t\",\"runId\":\"r\","
                + "\"hyperparameters\":{},\"budget\":{},\"origin\":\"random\"}").getBytes()).error())
                .isEqualTo("missing field 'budget.maxSteps' (or 'budget.maxEpochs')");
    }

    @Test
    void randomMutationsNeverThrow() {
        byte[] valid = EventCodec.write(Samples.step(12, 0.3));
        Random random = new Random(42);
        int rejected = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = valid.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            }
            if (random.nextInt(10) == 0) {
                b = java.util.Arrays.copyOf(b, random.nextInt(b.length));
            }
            ReadResult<TrainingEvent> r = EventCodec.readTrainingEvent(b); // must not throw
            assertThat(r.isValid() || r.error() != null).isTrue();
            if (!r.isValid()) {
                rejected++;
                assertThat(r.error()).isNotBlank().hasSizeLessThan(400);
            }
        }
        assertThat(rejected).isGreaterThan(10_000);
    }
}
