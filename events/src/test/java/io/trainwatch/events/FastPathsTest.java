package io.trainwatch.events;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The decoder's fast paths (UTC timestamps, doubles) give exactly what the general paths give, or step aside. */
class FastPathsTest {

    private static Instant general(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-23T10:00:00Z", "2026-11-23T10:00:00.1Z", "2026-11-23T10:00:00.123456789Z",
            "2024-02-29T23:59:59.999Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.000000001Z",
            "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z"})
    void takesInstantToStringFormsAsOffsetDateTimeDoes(String text) {
        assertThat(UtcInstants.parseOrNull(text)).isEqualTo(general(text)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-23T10:00Z", "2026-11-23T10:00:00+01:00", "2026-11-23T10:00:00", "2026-11-23 10:00:00Z",
            "2026-11-23t10:00:00Z", "2026-11-23T10:00:00z", "2026-11-23T10:00:00.Z", "2026-11-23T10:00:00.1234567890Z",
            "2025-02-29T10:00:00Z", "2026-13-01T10:00:00Z", "2026-00-01T10:00:00Z", "2026-11-31T10:00:00Z",
            "2026-11-00T10:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z", "2026-11-23T10:00:60Z",
            "+2026-11-23T10:00:00Z", "2026-1a-23T10:00:00Z", "2026-11-23T10:00:00,5Z", "20261-11-23T10:00:00Z",
            "٢٠٢٦-11-23T10:00:00Z", "2026-11-23T10:00:0-Z", "", "Z"})
    void leavesEveryOtherFormToTheGeneralParser(String text) {
        assertThat(UtcInstants.parseOrNull(text)).isNull();
    }

    @Test
    void agreesWithOffsetDateTimeOnRandomInstants() {
        Random random = new Random(4);
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L),
                    random.nextBoolean() ? 0 : random.nextInt(1_000_000_000));
            String text = t.toString();
            assertThat(UtcInstants.parseOrNull(text)).as(text).isEqualTo(general(text)).isEqualTo(t);
        }
    }

    @Test
    void readsDoublesBitForBitAsDoubleParseDouble() {
        Random random = new Random(5);
        for (int i = 0; i < 20_000; i++) {
            double d = switch (i % 4) {
                case 0 -> Double.longBitsToDouble(random.nextLong());
                case 1 -> random.nextGaussian() * Math.pow(10, random.nextInt(-30, 30));
                case 2 -> Math.exp(random.nextGaussian() * 20);
                default -> Double.MIN_VALUE * random.nextInt(1000);
            };
            if (!Double.isFinite(d)) {
                continue;
            }
            // 17 significant digits and a shortest form: both must come back as the same bits.
            for (String text : new String[] {Double.toString(d), String.format("%.16e", d)}) {
                String json = "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-11-23T10:00:00Z\","
                        + "\"step\":1,\"loss\":" + text + "}";
                ReadResult<TrainingEvent> r = EventCodec.readTrainingEvent(json.getBytes(StandardCharsets.UTF_8));
                assertThat(r.isValid()).as(json).isTrue();
                assertThat(Double.doubleToRawLongBits(((StepEvent) r.value()).loss())).as(text)
                        .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(text)));
            }
        }
    }
}
