package io.trainwatch.trainer.scenario;

import io.trainwatch.events.Contract;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.trainer.engine.CollectingSink;
import io.trainwatch.trainer.engine.RunObserver;
import io.trainwatch.trainer.engine.TrainingRun;
import io.trainwatch.trainer.model.RunSpec;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Each scenario shows its pathology in its own numbers (and healthy shows none). */
class ScenariosTest {

    private static final double LN3 = Math.log(3);
    private static final double LN5 = Math.log(5);

    private static CollectingSink run(String name, Long steps, RunObserver observer, TrainingRun[] holder) {
        RunSpec spec = Scenarios.spec(name, steps, null);
        CollectingSink sink = new CollectingSink();
        TrainingRun run = new TrainingRun("run-" + name, null, null, spec, sink, observer, Clock.systemUTC(), null, 16);
        if (holder != null) {
            holder[0] = run;
        }
        run.run();
        return sink;
    }

    private static CollectingSink run(String name) {
        return run(name, null, null, null);
    }

    private static double meanLoss(List<StepEvent> steps, int from, int to) {
        return steps.subList(from, to).stream().mapToDouble(StepEvent::loss).average().orElseThrow();
    }

    private static double firstLastRatio(StepEvent s) {
        List<Double> norms = new ArrayList<>(s.layerGradientNorms().values());
        return norms.get(0) / norms.get(norms.size() - 1);
    }

    private static String status(CollectingSink sink) {
        return sink.of(RunFinished.class).get(0).status();
    }

    @Test
    void healthyConvergesWithNoneOfThePathologies() {
        CollectingSink sink = run("healthy");
        List<StepEvent> steps = sink.of(StepEvent.class);
        List<ValidationEvent> vals = sink.of(ValidationEvent.class);
        assertThat(steps).hasSize(300);
        assertThat(status(sink)).isEqualTo(RunFinished.COMPLETED);
        assertThat(steps.get(0).loss()).as("initial loss ~ ln(3)").isCloseTo(LN3, org.assertj.core.api.Assertions.within(0.25));
        ValidationEvent last = vals.get(vals.size() - 1);
        assertThat(last.validationLoss()).isLessThan(0.3 * LN3);
        assertThat(last.validationAccuracy()).isGreaterThan(0.9);
        double minVal = vals.stream().mapToDouble(ValidationEvent::validationLoss).min().orElseThrow();
        assertThat(last.validationLoss()).as("no overfitting").isLessThan(1.5 * minVal + 0.02);
        assertThat(steps).allSatisfy(s -> assertThat(firstLastRatio(s)).as("no vanishing/exploding").isBetween(1e-2, 1e2));
    }

    @Test
    void vanishingGradientsStarveTheFirstLayer() {
        CollectingSink sink = run("vanishing-gradients", 150L, null, null);
        List<StepEvent> steps = sink.of(StepEvent.class);
        assertThat(steps).allSatisfy(s -> {
            assertThat(firstLastRatio(s)).isLessThan(1e-3);
            assertThat(s.layerGradientNorms().get("layer0")).isLessThan(1e-4);
        });
        assertThat(sink.of(ValidationEvent.class)).allSatisfy(v -> assertThat(v.validationAccuracy()).isLessThan(0.7));
    }

    @Test
    void explodingGradientsDivergeToNaN() {
        CollectingSink sink = run("exploding-gradients");
        List<StepEvent> steps = sink.of(StepEvent.class);
        RunFinished finished = sink.of(RunFinished.class).get(0);
        assertThat(finished.status()).isEqualTo(RunFinished.DIVERGED);
        assertThat(finished.step()).isLessThan(100);
        assertThat(steps.get(steps.size() - 1).loss()).isNaN();
        double maxNorm = steps.stream().mapToDouble(StepEvent::gradientNorm).filter(Double::isFinite).max().orElseThrow();
        assertThat(maxNorm).isGreaterThan(1e3 * steps.get(0).gradientNorm());
        assertThat(finished.step()).isEqualTo(steps.get(steps.size() - 1).step());
    }

    @Test
    void zeroInitialisationIsStuckAtLnC() {
        CollectingSink sink = run("bad-initialization", 200L, null, null);
        List<StepEvent> steps = sink.of(StepEvent.class);
        assertThat(steps.get(0).loss()).isCloseTo(LN5, org.assertj.core.api.Assertions.within(1e-3));
        ValidationEvent last = sink.of(ValidationEvent.class).get(sink.of(ValidationEvent.class).size() - 1);
        assertThat(last.trainLoss()).isCloseTo(LN5, org.assertj.core.api.Assertions.within(0.01));
        assertThat(steps).allSatisfy(s -> assertThat(s.layerGradientNorms().get("layer0")).isZero());
    }

    @Test
    void hugeVarianceInitialisationStartsFarFromLnC() {
        CollectingSink sink = run("bad-initialization-huge", 20L, null, null);
        assertThat(sink.of(StepEvent.class).get(0).loss()).isGreaterThan(5 * LN5);
    }

    @Test
    void aPlateauMovesAgainWhenTheRateIsDecayed() {
        TrainingRun[] holder = new TrainingRun[1];
        RunObserver decayAt300 = new RunObserver() {
            @Override
            public void onStep(StepEvent step) {
                if (step.step() == 299) {
                    holder[0].submit(new TunerCommand(Contract.SCHEMA_VERSION, "decay", step.runId(),
                            TunerCommand.SET_LEARNING_RATE, step.learningRate() / 10, "plateau", null, null, null, null));
                }
            }
        };
        CollectingSink sink = run("plateau", 400L, decayAt300, holder);
        List<StepEvent> steps = sink.of(StepEvent.class);
        double early = meanLoss(steps, 0, 50);
        double before1 = meanLoss(steps, 150, 225);
        double before2 = meanLoss(steps, 225, 300);
        double after = meanLoss(steps, 350, 400);
        assertThat(before2).as("it fell first").isLessThan(0.6 * early);
        assertThat(before2).as("then levelled off").isGreaterThan(0.75 * before1);
        assertThat(after).as("a decay makes it move again").isLessThan(0.75 * before2);
        assertThat(steps.get(350).learningRate()).isEqualTo(steps.get(0).learningRate() / 10);
    }

    @Test
    void aRateDecayedTooEarlyLeavesTheLossFlatAndHigh() {
        CollectingSink sink = run("lr-decayed-too-early");
        List<StepEvent> steps = sink.of(StepEvent.class);
        assertThat(steps.get(29).learningRate()).isEqualTo(0.005);
        assertThat(steps.get(30).learningRate()).isEqualTo(5e-6);
        List<ValidationEvent> vals = sink.of(ValidationEvent.class);
        double afterCut = vals.get(1).trainLoss();
        double end = vals.get(vals.size() - 1).trainLoss();
        assertThat(end).as("flat after the cut").isGreaterThan(0.95 * afterCut);
        assertThat(end).as("far above a healthy run (~0.03)").isGreaterThan(0.3);
    }

    @Test
    void overfittingValidationLossRisesWhileTrainingLossFalls() {
        CollectingSink sink = run("overfitting");
        List<ValidationEvent> vals = sink.of(ValidationEvent.class);
        double minVal = vals.stream().mapToDouble(ValidationEvent::validationLoss).min().orElseThrow();
        ValidationEvent last = vals.get(vals.size() - 1);
        assertThat(last.validationLoss()).isGreaterThanOrEqualTo(1.1 * minVal);
        assertThat(last.trainLoss()).isLessThan(0.05 * vals.get(0).trainLoss());
        assertThat(last.trainAccuracy() - last.validationAccuracy()).isGreaterThan(0.1);
    }

    @Test
    void underfittingLeavesTrainingAndValidationTogetherAndMediocre() {
        CollectingSink sink = run("underfitting");
        List<ValidationEvent> vals = sink.of(ValidationEvent.class);
        ValidationEvent last = vals.get(vals.size() - 1);
        assertThat(last.trainAccuracy()).isLessThan(0.7);
        assertThat(last.trainLoss()).isGreaterThan(0.5);
        assertThat(Math.abs(last.trainLoss() - last.validationLoss())).isLessThan(0.1);
    }

    @Test
    void everyScenarioParsesAndHasADefaultLength() {
        assertThat(Scenarios.all()).extracting(Scenario::name).contains("healthy", "vanishing-gradients",
                "exploding-gradients", "bad-initialization", "plateau", "lr-decayed-too-early", "overfitting",
                "underfitting");
        for (Scenario s : Scenarios.all()) {
            assertThat(Scenarios.spec(s.name(), null, null).maxSteps()).isEqualTo(s.defaultSteps());
            assertThat(Scenarios.spec(s.name(), 7L, null).maxSteps()).isEqualTo(7);
        }
    }
}
