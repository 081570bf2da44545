package io.trainwatch.events;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A run's declared control and a command's mode: written, read back, and rejected when malformed. */
class RunControlTest {

    private static final String START = "{\"schemaVersion\":1,\"type\":\"run-started\",\"runId\":\"r\","
            + "\"timestamp\":\"2026-01-01T00:00:00Z\",\"config\":{}";
    private static final String COMMAND = "{\"schemaVersion\":1,\"commandId\":\"c\",\"runId\":\"r\",\"type\":\"stop\","
            + "\"reason\":\"x\"";

    private static ReadResult<TrainingEvent> read(String json) {
        return EventCodec.readTrainingEvent(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aDeclaredControlRoundTripsWithItsLimits() {
        RunControl control = new RunControl(RunControl.AUTO, 3, 1e-5, false);
        RunStarted started = new RunStarted(1, "r", Samples.T0, null, null, Samples.runStarted().config(), "CPU", "x",
                control);
        String json = EventCodec.writeString(started);
        assertThat(json).contains("\"control\":{\"mode\":\"auto\",\"maxDecays\":3,\"minLearningRate\":1.0E-5,\"allowStop\":false}");
        ReadResult<TrainingEvent> back = read(json);
        assertThat(back.error()).isNull();
        assertThat(back.warnings()).isEmpty();
        assertThat(back.value()).isEqualTo(started);
        RunControl read = ((RunStarted) back.value()).controlOrOff();
        assertThat(read.applies()).isTrue();
        assertThat(read.stopAllowed()).isFalse();
    }

    @Test
    void noControlMeansOffAndIsNotWritten() {
        RunStarted started = Samples.runStarted();
        assertThat(started.control()).isNull();
        assertThat(started.controlOrOff()).isEqualTo(RunControl.NONE);
        assertThat(started.controlOrOff().steerable()).isFalse();
        assertThat(EventCodec.writeString(started)).doesNotContain("control");
        assertThat(((RunStarted) read(START + ",\"control\":null}").value()).control()).isNull();
    }

    @Test
    void aControlGivenAsAMapIsReadByTheSameRules() {
        assertThat(EventCodec.readControl(null)).isNull();
        assertThat(EventCodec.readControl(java.util.Map.of("mode", "auto", "maxDecays", 2.0, "minLearningRate", 1e-5,
                "allowStop", false))).isEqualTo(new RunControl(RunControl.AUTO, 2, 1e-5, false));
        assertThatThrownBy(() -> EventCodec.readControl(java.util.Map.of("mode", "always")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("field 'control.mode' must be one of");
        assertThatThrownBy(() -> EventCodec.readControl("auto"))
                .hasMessage("field 'control' must be an object, was the string 'auto'");
        assertThatThrownBy(() -> EventCodec.readControl(java.util.Map.of("mode", "auto", "maxDecays", 1.5)))
                .hasMessageStartingWith("field 'control.maxDecays' must be an integer");
    }

    @Test
    void suggestStopsNothingButIsSteerable() {
        RunControl suggest = RunControl.of(RunControl.SUGGEST);
        assertThat(suggest.steerable()).isTrue();
        assertThat(suggest.applies()).isFalse();
        assertThat(suggest.stopAllowed()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'\"control\":\"auto\"'|field 'control' must be an object, was the string 'auto'",
            "'\"control\":{}'|missing field 'control.mode'",
            "'\"control\":{\"mode\":\"always\"}'|field 'control.mode' must be one of",
            "'\"control\":{\"mode\":\"auto\",\"maxDecays\":-1}'|field 'control.maxDecays' must be >= 0, was -1",
            "'\"control\":{\"mode\":\"auto\",\"maxDecays\":\"2\"}'|field 'control.maxDecays' must be an integer",
            "'\"control\":{\"mode\":\"auto\",\"minLearningRate\":0}'|field 'control.minLearningRate' must be a finite number > 0",
            "'\"control\":{\"mode\":\"auto\",\"minLearningRate\":\"NaN\"}'|field 'control.minLearningRate' must be a finite number > 0",
            "'\"control\":{\"mode\":\"auto\",\"allowStop\":\"no\"}'|field 'control.allowStop' must be a boolean"})
    void aMalformedControlRejectsTheRunStartedWithAPreciseReason(String field, String reason) {
        ReadResult<TrainingEvent> read = read(START + "," + field + "}");
        assertThat(read.isValid()).isFalse();
        assertThat(read.error()).contains(reason);
    }

    @Test
    void aCommandsModeRoundTripsAndSaysWhetherItIsASuggestion() {
        TunerCommand suggestion = new TunerCommand(1, "c1", "r", TunerCommand.SET_LEARNING_RATE, 0.01, "plateau", "a",
                Samples.T0, null, null, TunerCommand.SUGGEST);
        String json = EventCodec.writeString(suggestion);
        assertThat(json).contains("\"mode\":\"suggest\"");
        TunerCommand back = EventCodec.readCommand(json.getBytes(StandardCharsets.UTF_8)).value();
        assertThat(back).isEqualTo(suggestion);
        assertThat(back.isSuggestion()).isTrue();
        assertThat(Samples.command().isSuggestion()).isFalse();
        assertThat(EventCodec.writeString(Samples.command())).doesNotContain("mode");
        TunerCommand apply = EventCodec.readCommand((COMMAND + ",\"mode\":\"apply\"}").getBytes(StandardCharsets.UTF_8))
                .value();
        assertThat(apply.isSuggestion()).isFalse();
    }

    @Test
    void anUnknownCommandModeIsRejectedSoThatNoTrainerAppliesIt() {
        for (String mode : new String[]{"\"maybe\"", "1", "{}"}) {
            ReadResult<TunerCommand> read = EventCodec.readCommand((COMMAND + ",\"mode\":" + mode + "}")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(read.isValid()).as(mode).isFalse();
            assertThat(read.error()).as(mode).contains("'mode'");
        }
        assertThatThrownBy(() -> new TunerCommand(1, "c", "r", TunerCommand.STOP, null, "x", null, null, null, null, "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RunControl("x", null, null, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
