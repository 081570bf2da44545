package io.trainwatch.events;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast path for step events gives, for every input, exactly the result of the general reader (value,
 * warnings, error): it takes the plain events and steps aside for everything else.
 */
class StepFastPathTest {

    private static final String HEAD = "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r1\","
            + "\"timestamp\":\"2026-11-23T10:00:00Z\",";

    private static ReadResult<TrainingEvent> same(byte[] bytes) {
        ReadResult<TrainingEvent> general = EventCodec.readTrainingEventGeneral(bytes);
        ReadResult<TrainingEvent> actual = EventCodec.readTrainingEvent(bytes);
        assertThat(actual).as(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(general);
        return actual;
    }

    private static boolean fast(String json) {
        return StepFastPath.read(EventCodec.MAPPER.getFactory(), json.getBytes(StandardCharsets.UTF_8)) != null;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            HEAD + "\"step\":3,\"loss\":1.5}",
            HEAD + "\"step\":3,\"loss\":NaN,\"accuracy\":0.5,\"epoch\":2}",
            HEAD + "\"step\":3,\"loss\":\"-Infinity\",\"gradientNorm\":\"Infinity\",\"learningRate\":-Infinity}",
            HEAD + "\"step\":9007199254740993,\"loss\":7,\"stepMillis\":12345678901234,\"examplesPerSecond\":null}",
            HEAD + "\"step\":0,\"loss\":1e308,\"layerGradientNorms\":{},\"parameterNorms\":{\"a\":1,\"b\":\"NaN\"},"
                    + "\"updateRatios\":{\"x\":-0.0},\"studyId\":\" \",\"trialId\":\"t\",\"accuracy\":-0.0}",
            "{\"loss\":2,\"step\":1,\"timestamp\":\" 2026-11-23T10:00:00.123456789Z \",\"runId\":\"r\",\"type\":\"step\","
                    + "\"schemaVersion\":1,\"studyId\":null}",
    })
    void takesPlainStepEvents(String json) {
        assertThat(fast(json)).isTrue();
        assertThat(same(json.getBytes(StandardCharsets.UTF_8)).isValid()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            HEAD + "\"step\":3,\"loss\":1.5,\"extra\":1}",
            HEAD + "\"step\":3,\"loss\":1.5,\"loss\":2}",
            HEAD + "\"step\":3,\"loss\":1.5,\"parameterNorms\":{\"a\":1,\"a\":2}}",
            HEAD + "\"step\":3,\"loss\":1.5,\"parameterNorms\":{\"a\":null}}",
            HEAD + "\"step\":3,\"loss\":1.5,\"parameterNorms\":{\"a\":{\"b\":1}}}",
            HEAD + "\"step\":3,\"loss\":1.5,\"parameterNorms\":[1]}",
            HEAD + "\"step\":3,\"loss\":1.5,\"accuracy\":1.5}",
            HEAD + "\"step\":3,\"loss\":1.5,\"accuracy\":NaN}",
            HEAD + "\"step\":3,\"loss\":1.5,\"learningRate\":\"fast\"}",
            HEAD + "\"step\":3.0,\"loss\":1.5}",
            HEAD + "\"step\":-3,\"loss\":1.5}",
            HEAD + "\"step\":99999999999999999999,\"loss\":1.5}",
            HEAD + "\"step\":3,\"loss\":123456789012345678901234567890}",
            HEAD + "\"step\":3,\"loss\":null}",
            HEAD + "\"step\":3}",
            HEAD + "\"step\":3,\"loss\":1,\"epoch\":3000000000}",
            HEAD + "\"step\":3,\"loss\":1} trailing",
            HEAD + "\"step\":3,\"loss\":1}{}",
            HEAD + "\"step\":3,\"loss\":1",
            "{\"schemaVersion\":4294967297,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"loss\":1}",
            "{\"schemaVersion\":2,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"loss\":1}",
            "{\"schemaVersion\":1,\"type\":\"validation\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"validationLoss\":1}",
            "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"  \",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"loss\":1}",
            "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"a\\u0001b\",\"timestamp\":\"2026-11-23T10:00:00Z\",\"step\":1,\"loss\":1}",
            "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00+02:00\",\"step\":1,\"loss\":1}",
            "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00\",\"step\":1,\"loss\":1}",
            "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":1700000000,\"step\":1,\"loss\":1}",
            "[1,2]", "\"step\"", "", "null",
    })
    void leavesEverythingElseToTheGeneralReader(String json) {
        assertThat(fast(json)).isFalse();
        same(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void agreesWithTheGeneralReaderOnWrittenEventsAndTheirMutations() {
        Random random = new Random(7);
        int taken = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] bytes = EventCodec.write(randomStep(random));
            if (same(bytes).isValid() && StepFastPath.read(EventCodec.MAPPER.getFactory(), bytes) != null) {
                taken++;
            }
            // Mutations: a byte changed, removed or doubled; the general reader decides, the fast path must agree.
            for (int m = 0; m < 5; m++) {
                byte[] mutated = mutate(bytes, random);
                same(mutated);
            }
        }
        assertThat(taken).isEqualTo(3000);
    }

    private static byte[] mutate(byte[] bytes, Random random) {
        int at = random.nextInt(bytes.length);
        String alphabet = "{}[],:\"0123456789.-+eENaIfinity tnul\\x";
        return switch (random.nextInt(3)) {
            case 0 -> {
                byte[] b = bytes.clone();
                b[at] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
                yield b;
            }
            case 1 -> {
                byte[] b = new byte[bytes.length - 1];
                System.arraycopy(bytes, 0, b, 0, at);
                System.arraycopy(bytes, at + 1, b, at, bytes.length - at - 1);
                yield b;
            }
            default -> {
                byte[] b = new byte[bytes.length + 1];
                System.arraycopy(bytes, 0, b, 0, at + 1);
                System.arraycopy(bytes, at, b, at + 1, bytes.length - at);
                yield b;
            }
        };
    }

    private static StepEvent randomStep(Random random) {
        return new StepEvent(1, "run-" + random.nextInt(1000), Instant.ofEpochMilli(random.nextLong(0, 4_000_000_000_000L))
                .plusNanos(random.nextInt(1_000_000)), random.nextBoolean() ? null : "study-" + random.nextInt(9),
                random.nextBoolean() ? null : "trial-" + random.nextInt(9), random.nextLong(0, Long.MAX_VALUE / (1 + random.nextInt(1 << 20))),
                random.nextInt(0, 1000), value(random), random.nextBoolean() ? null : random.nextDouble(),
                random.nextBoolean() ? null : value(random), random.nextBoolean() ? null : value(random),
                random.nextBoolean() ? null : map(random), random.nextBoolean() ? null : map(random),
                random.nextBoolean() ? null : map(random), random.nextBoolean() ? null : value(random),
                random.nextBoolean() ? null : value(random));
    }

    private static double value(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> Double.NaN;
            case 1 -> random.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
            case 2 -> Double.longBitsToDouble(random.nextLong() & 0x7fefffffffffffffL) * (random.nextBoolean() ? 1 : -1);
            case 3 -> random.nextInt(1000);
            default -> random.nextGaussian() * Math.pow(10, random.nextInt(-12, 12));
        };
    }

    private static Map<String, Double> map(Random random) {
        Map<String, Double> m = new LinkedHashMap<>();
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
            m.put("layer_" + i, value(random));
        }
        return m;
    }
}
