package io.trainwatch.trainer.engine;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.trainer.model.RunSpecParser;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrainingRunTest {

    private static final Map<String, Object> SMALL = Map.of("dataset", Map.of("type", "xor", "samples", 400),
            "hiddenLayers", List.of(8), "optimizer", "adam", "learningRate", 0.01, "batchSize", 16);

    private static Map<String, Object> small(Object... kv) {
        Map<String, Object> m = new java.util.HashMap<>(SMALL);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static TrainingRun run(Map<String, Object> config, CollectingSink sink, RunObserver observer, Path dir) {
        return new TrainingRun("r", "s", "t", RunSpecParser.parse(config), sink, observer, Clock.systemUTC(), dir, 4);
    }

    private static TunerCommand lr(String id, double rate, Instant at) {
        return new TunerCommand(Contract.SCHEMA_VERSION, id, "r", TunerCommand.SET_LEARNING_RATE, rate, "test", null, at,
                null, null);
    }

    @Test
    void eventsComeInContractOrderWithIdsOnEach(@TempDir Path dir) throws Exception {
        CollectingSink sink = new CollectingSink();
        TrainingRun run = run(small("epochs", 2), sink, null, dir);
        run.run();
        List<TrainingEvent> events = sink.events;
        assertThat(events.get(0)).isInstanceOf(RunStarted.class);
        assertThat(events.get(events.size() - 1)).isInstanceOf(RunFinished.class);
        assertThat(events).allSatisfy(e -> assertThat(e.studyId() + e.trialId()).isEqualTo("st"));
        // 320 training examples / 16 = 20 steps per epoch; a validation at each epoch end.
        assertThat(sink.of(StepEvent.class)).hasSize(40);
        assertThat(sink.of(ValidationEvent.class)).extracting(ValidationEvent::step).containsExactly(19L, 39L);
        assertThat(sink.of(StepEvent.class).get(25).epoch()).isEqualTo(1);
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).isEqualTo(RunFinished.COMPLETED);
        assertThat(run.view().checkpoint()).endsWith("r.zip");
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(dir.resolve("r.zip").toFile(), true);
        assertThat(restored.params()).isEqualTo(run.network().params());
        assertThat(restored.getUpdater().getStateViewArray()).as("the updater state is saved too").isNotNull();
    }

    @Test
    void aLearningRateCommandIsAppliedBetweenStepsOnceAndKeepsTheOptimizerState() {
        CollectingSink sink = new CollectingSink();
        TrainingRun[] holder = new TrainingRun[1];
        RunObserver at10 = new RunObserver() {
            @Override
            public void onStep(StepEvent step) {
                if (step.step() == 9) {
                    holder[0].submit(lr("c1", 0.002, null));
                    holder[0].submit(lr("c1", 0.002, null)); // duplicate
                }
                if (step.step() == 14) {
                    holder[0].submit(lr("c1", 0.5, null)); // same id, later: still a duplicate
                }
            }
        };
        holder[0] = run(small("maxSteps", 20), sink, at10, null);
        holder[0].run();
        List<CommandApplied> applied = sink.of(CommandApplied.class);
        assertThat(applied).hasSize(1);
        assertThat(applied.get(0).step()).isEqualTo(10);
        assertThat(applied.get(0).details()).containsEntry("previousLearningRate", 0.01).containsEntry("learningRate", 0.002);
        assertThat(sink.of(StepEvent.class)).allSatisfy(s ->
                assertThat(s.learningRate()).isEqualTo(s.step() < 10 ? 0.01 : 0.002));
        int commandIndex = sink.events.indexOf(applied.get(0));
        assertThat(sink.events.get(commandIndex + 1)).isInstanceOfSatisfying(StepEvent.class,
                s -> assertThat(s.step()).isEqualTo(10));
    }

    @Test
    void aSuggestionIsNeverAppliedNorConfirmed() {
        CollectingSink sink = new CollectingSink();
        TrainingRun[] holder = new TrainingRun[1];
        boolean[] accepted = {true, true};
        RunObserver at5 = new RunObserver() {
            @Override
            public void onStep(StepEvent step) {
                if (step.step() == 5) {
                    accepted[0] = holder[0].submit(new TunerCommand(Contract.SCHEMA_VERSION, "sug-1", "r",
                            TunerCommand.SET_LEARNING_RATE, 0.5, "plateau: learning rate 0.01 -> 0.5", null, null, null,
                            null, TunerCommand.SUGGEST));
                    accepted[1] = holder[0].submit(new TunerCommand(Contract.SCHEMA_VERSION, "sug-2", "r",
                            TunerCommand.STOP, null, "divergence", null, null, null, null, TunerCommand.SUGGEST));
                }
            }
        };
        holder[0] = run(small("maxSteps", 12), sink, at5, null);
        holder[0].run();
        assertThat(accepted).containsExactly(false, false);
        assertThat(sink.of(CommandApplied.class)).isEmpty();
        assertThat(sink.of(StepEvent.class)).hasSize(12).allSatisfy(s -> assertThat(s.learningRate()).isEqualTo(0.01));
        assertThat(sink.of(RunFinished.class).get(0).status()).isEqualTo(RunFinished.COMPLETED);
    }

    @Test
    void runStartedDeclaresTheRunsControlAutoByDefault() {
        CollectingSink sink = new CollectingSink();
        run(small("maxSteps", 2), sink, null, null).run();
        assertThat(sink.of(RunStarted.class).get(0).control()).isEqualTo(RunControl.of(RunControl.AUTO));
        CollectingSink suggest = new CollectingSink();
        run(small("maxSteps", 2, "control", Map.of("mode", "suggest", "maxDecays", 2)), suggest, null, null).run();
        assertThat(suggest.of(RunStarted.class).get(0).control()).isEqualTo(new RunControl(RunControl.SUGGEST, 2, null, null));
    }

    @Test
    void stopEndsTheRunAsStoppedAndCheckpoints(@TempDir Path dir) {
        CollectingSink sink = new CollectingSink();
        TrainingRun[] holder = new TrainingRun[1];
        RunObserver at5 = new RunObserver() {
            @Override
            public void onStep(StepEvent step) {
                if (step.step() == 4) {
                    holder[0].submit(new TunerCommand(Contract.SCHEMA_VERSION, "s1", "r", TunerCommand.STOP, null,
                            "enough", null, null, null, null));
                }
            }
        };
        holder[0] = run(small("epochs", 100), sink, at5, dir);
        holder[0].run();
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).isEqualTo(RunFinished.STOPPED);
        assertThat(f.step()).isEqualTo(4);
        assertThat(f.reason()).contains("enough");
        assertThat(sink.of(StepEvent.class)).hasSize(5);
        assertThat(dir.resolve("r.zip")).exists();
        assertThat(holder[0].submit(lr("late", 0.1, null))).as("a finished run takes no command").isFalse();
    }

    @Test
    void aStopIsNoPlaceToScoreTheRunNoValidationIsMadeThere() {
        CollectingSink sink = new CollectingSink();
        TrainingRun[] holder = new TrainingRun[1];
        RunObserver at4 = new RunObserver() {
            @Override
            public void onStep(StepEvent step) {
                if (step.step() == 4) {
                    holder[0].submit(new TunerCommand(Contract.SCHEMA_VERSION, "s1", "r", TunerCommand.STOP, null,
                            "enough", null, null, null, null));
                }
            }
        };
        holder[0] = run(small("epochs", 100, "validateEverySteps", 3), sink, at4, null);
        holder[0].run();
        assertThat(sink.of(StepEvent.class)).extracting(StepEvent::step).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(sink.of(CommandApplied.class)).singleElement()
                .satisfies(a -> assertThat(a.step()).as("the first step that would have run under the stop").isEqualTo(5));
        assertThat(sink.of(RunFinished.class).get(0).step()).isEqualTo(4);
        assertThat(sink.of(ValidationEvent.class)).as("only the scheduled validation, none at the stop")
                .extracting(ValidationEvent::step).containsExactly(2L);
        assertThat(holder[0].validations()).extracting(ValidationPoint::step).containsExactly(2L);
    }

    @Test
    void theRunKeepsItsValidationsInStepOrderForTheRestApi() {
        CollectingSink sink = new CollectingSink();
        TrainingRun run = run(small("maxSteps", 30, "validateEverySteps", 10), sink, null, null);
        assertThat(run.validations()).isEmpty();
        run.run();
        List<ValidationEvent> events = sink.of(ValidationEvent.class);
        assertThat(events).extracting(ValidationEvent::step).containsExactly(9L, 19L, 29L);
        assertThat(run.validations()).containsExactlyElementsOf(events.stream().map(ValidationPoint::of).toList());
        assertThat(run.validations()).allSatisfy(v -> {
            assertThat(v.validationLoss()).isFinite();
            assertThat(v.validationAccuracy()).isBetween(0.0, 1.0);
            assertThat(v.trainLoss()).isFinite();
            assertThat(v.trainAccuracy()).isBetween(0.0, 1.0);
        });
        assertThat(run.validations().get(2).epoch()).isEqualTo(1);
    }

    @Test
    void theValidationHistoryKeepsOnlyTheLastOnes() {
        ValidationHistory h = new ValidationHistory(3);
        for (long s = 0; s < 5; s++) {
            h.add(new ValidationEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH, null, null, s, 0, 1.0, 0.5, 2.0, 0.25));
        }
        assertThat(h.list()).extracting(ValidationPoint::step).containsExactly(2L, 3L, 4L);
        assertThat(h.list().get(0)).isEqualTo(new ValidationPoint(2, 0, 2.0, 0.25, 1.0, 0.5));
    }

    @Test
    void aStaleCommandIsIgnored() {
        TrainingRun run = run(small(), new CollectingSink(), null, null);
        Instant longAgo = Instant.now().minusSeconds(3600);
        assertThat(run.submit(lr("old", 0.1, longAgo))).isFalse();
        assertThat(run.submit(lr("new", 0.1, Instant.now()))).isTrue();
    }

    @Test
    void aNonFiniteLossEndsTheRunAsDivergedAtOnce() {
        CollectingSink sink = new CollectingSink();
        run(Map.of("dataset", "blobs", "optimizer", "sgd", "learningRate", 50.0, "epochs", 50), sink, null, null).run();
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).isEqualTo(RunFinished.DIVERGED);
        StepEvent last = sink.of(StepEvent.class).get(sink.of(StepEvent.class).size() - 1);
        assertThat(last.loss()).isNotFinite();
        assertThat(f.step()).isEqualTo(last.step());
        assertThat(f.reason()).contains("step " + last.step());
    }

    @Test
    void samplingPublishesEveryNthStep() {
        CollectingSink sink = new CollectingSink();
        run(small("maxSteps", 30, "sampleEvery", 10, "validateEverySteps", 15), sink, null, null).run();
        assertThat(sink.of(StepEvent.class)).extracting(StepEvent::step).containsExactly(0L, 10L, 20L);
        assertThat(sink.of(ValidationEvent.class)).extracting(ValidationEvent::step).containsExactly(14L, 19L, 29L);
    }

    @Test
    void aMissingCsvFailsTheRunWithTheReason() {
        CollectingSink sink = new CollectingSink();
        run(Map.of("dataset", Map.of("type", "csv", "path", "/no/such.csv")), sink, null, null).run();
        RunFinished f = sink.of(RunFinished.class).get(0);
        assertThat(f.status()).isEqualTo(RunFinished.FAILED);
        assertThat(f.reason()).contains("dataset.path");
        assertThat(sink.of(RunStarted.class)).isEmpty();
    }

    @Test
    void timestampsComeFromTheInjectedClock() {
        Instant fixed = Instant.parse("2026-01-01T00:00:00Z");
        CollectingSink sink = new CollectingSink();
        new TrainingRun("r", null, null, RunSpecParser.parse(small("maxSteps", 3)), sink, null,
                Clock.fixed(fixed, ZoneOffset.UTC), null, 4).run();
        assertThat(sink.events).allSatisfy(e -> assertThat(e.timestamp()).isEqualTo(fixed));
    }
}
