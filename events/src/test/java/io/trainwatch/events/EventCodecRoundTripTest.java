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
    void runConfigAnnouncesBatchNormScheduleAndSubsetOrLeavesThemOut() {
        RunStarted withAll = Samples.runStarted();
        String json = EventCodec.writeString(withAll);
        assertThat(json).contains("\"batchNorm\":true", "\"subsetBatches\":5", "\"schedule\":{");
        assertThat(withAll.config().schedule()).containsEntry("type", "step").containsEntry("every", 100);
        RunConfig old = new RunConfig("s", "d", 3, "cross-entropy", List.of(), "sgd", 0.1, 32, 1, 0.0, 0.0, 1L);
        assertThat(old.batchNorm()).isNull();
        assertThat(old.schedule()).isNull();
        assertThat(old.subsetBatches()).isNull();
        assertThat(EventCodec.writeString(new RunStarted(1, "r", Samples.T0, null, null, old, null, null)))
                .doesNotContain("batchNorm", "schedule", "subsetBatches");
    }

    @Test
    void aRunConfigFlagOfTheWrongTypeIsDroppedWithAWarning() {
        String json = "{\"schemaVersion\":1,\"type\":\"run-started\",\"runId\":\"r\",\"timestamp\":\"2026-01-01T00:00:00Z\","
                + "\"config\":{\"batchNorm\":\"yes\",\"schedule\":[1],\"subsetBatches\":5}}";
        ReadResult<TrainingEvent> read = EventCodec.readTrainingEvent(json.getBytes(StandardCharsets.UTF_8));
        assertThat(read.error()).isNull();
        RunConfig config = ((RunStarted) read.value()).config();
        assertThat(config.batchNorm()).isNull();
        assertThat(config.schedule()).isNull();
        assertThat(config.subsetBatches()).isEqualTo(5);
        assertThat(read.warnings()).anySatisfy(w -> assertThat(w).contains("config.batchNorm", "a boolean"))
                .anySatisfy(w -> assertThat(w).contains("config.schedule", "an object"));
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
