package io.trainwatch.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every record survives write then read unchanged, NaN and Infinity included. */
class EventCodecRoundTripTest {

    @Test
    void everyTrainingEventRoundTrips() {
        List<TrainingEvent> events = List.of(Samples.runStarted(), Samples.step(7, 0.69), Samples.step(8, Double.NaN),
                Samples.validation(), Samples.commandApplied(), Samples.runFinished());
        for (TrainingEvent event : events) {
            ReadResult<TrainingEvent> read = EventCodec.readTrainingEvent(EventCodec.write(event));
            assertThat(read.error()).as(event.type()).isNull();
            assertThat(read.warnings()).as(event.type()).isEmpty();
            assertThat(read.value()).isEqualTo(event);
        }
    }

    @Test
    void otherMessagesRoundTrip() {
        assertThat(EventCodec.readAlert(EventCodec.write(Samples.alert())).value()).isEqualTo(Samples.alert());
        assertThat(EventCodec.readCommand(EventCodec.write(Samples.command())).value()).isEqualTo(Samples.command());
        assertThat(EventCodec.readTrial(EventCodec.write(Samples.trial())).value()).isEqualTo(Samples.trial());
        DeadLetter dl = Samples.deadLetter();
        DeadLetter back = EventCodec.readDeadLetter(EventCodec.write(dl)).value();
        assertThat(back).isEqualTo(dl);
        assertThat(back.payload()).containsExactly('{', 0, (byte) 0xff);
    }

    @Test
    void writesTypeAndNonFiniteNumbersAsStrings() {
        String json = EventCodec.writeString(Samples.step(3, Double.NEGATIVE_INFINITY));
        assertThat(json).startsWith("{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"run-1\"");
        assertThat(json).contains("\"loss\":\"-Infinity\"", "\"layer1\":\"Infinity\"", "\"layer1\":\"NaN\"");
        assertThat(json).contains("\"timestamp\":\"2026-11-23T10:15:30.126Z\"");
        assertThat(json).doesNotContain("null", "studyId");
    }

    @Test
    void keepsLayerOrderFromInputToOutput() {
        String json = "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"r\",\"timestamp\":\"2026-01-01T00:00:00Z\","
                + "\"step\":1,\"loss\":1,\"layerGradientNorms\":{\"dense_in\":1,\"b\":2,\"a\":3,\"out\":4}}";
        StepEvent step = (StepEvent) EventCodec.readTrainingEvent(json.getBytes(StandardCharsets.UTF_8)).value();
        assertThat(step.layerGradientNorms().keySet()).containsExactly("dense_in", "b", "a", "out");
    }

    @Test
    void alertIdIsADeterministicFingerprint() {
        assertThat(Alert.fingerprint("run-1", "plateau", 1000)).isEqualTo(Alert.fingerprint("run-1", "plateau", 1000))
                .hasSize(24);
        assertThat(Alert.fingerprint("run-1", "plateau", 1000)).isNotEqualTo(Alert.fingerprint("run-1", "plateau", 1001))
                .isNotEqualTo(Alert.fingerprint("run-2", "plateau", 1000))
                .isNotEqualTo(Alert.fingerprint("run-1", "overfitting", 1000));
        Alert resolved = Samples.alert().resolve(1300, 5, Samples.T0, "improving again", null);
        assertThat(resolved.alertId()).isEqualTo(Samples.alert().alertId());
        assertThat(resolved.status()).isEqualTo(Alert.RESOLVED);
    }

    @Test
    void lossFunctionNamesAreNormalised() {
        assertThat(LossFunctions.normalize("MCXENT")).isEqualTo(LossFunctions.CROSS_ENTROPY);
        assertThat(LossFunctions.normalize("NEGATIVELOGLIKELIHOOD")).isEqualTo(LossFunctions.CROSS_ENTROPY);
        assertThat(LossFunctions.normalize("categorical_crossentropy")).isEqualTo(LossFunctions.CROSS_ENTROPY);
        assertThat(LossFunctions.normalize("hinge")).isEqualTo("hinge");
        assertThat(LossFunctions.chanceLoss("cross-entropy", 5)).isCloseTo(Math.log(5), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(LossFunctions.chanceLoss("mse", 5)).isNaN();
    }
}
