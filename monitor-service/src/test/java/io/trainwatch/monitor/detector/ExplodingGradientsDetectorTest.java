package io.trainwatch.monitor.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.Fixtures;
import io.trainwatch.monitor.support.LongRuns;
import io.trainwatch.monitor.support.TestConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Explosions judged against the run's first steps, and spikes of converged runs that are no explosion. */
class ExplodingGradientsDetectorTest {

    private static final double LN10 = Math.log(10);

    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());

    private static StepEvent step(long step, double loss, double norm) {
        Map<String, Double> layers = new LinkedHashMap<>();
        layers.put("fc1", norm / 2);
        layers.put("fc2", norm / 2);
        layers.put("fc3", norm / Math.sqrt(2));
        return new StepEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH.plusSeconds(step), null, null, step, 0, loss,
                null, 0.5, norm, layers, null, null, null, null);
    }

    private static StepEvent dead(long step, double loss) {
        Map<String, Double> layers = new LinkedHashMap<>();
        layers.put("fc1", 0.0);
        layers.put("fc2", 0.0);
        layers.put("fc3", 0.05);
        return new StepEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH.plusSeconds(step), null, null, step, 0, loss,
                null, 0.5, 0.05, layers, null, null, null, null);
    }

    private static RunStarted started(int classes) {
        List<LayerInfo> layers = List.of(new LayerInfo("fc1", "dense", 64, 128, "relu", "he"),
                new LayerInfo("fc2", "dense", 128, 64, "relu", "he"),
                new LayerInfo("fc3", "output", 64, classes, "softmax", "he"));
        return new RunStarted(Contract.SCHEMA_VERSION, "r", Instant.EPOCH, null, null,
                new RunConfig("t", "d", classes, "cross-entropy", layers, "sgd", 1.0, 32, 1, 0.0, 0.0, 1L), "t", "cpu");
    }

    private List<Alert> run(RunState s, List<? extends TrainingEvent> events) {
        List<Alert> out = new ArrayList<>();
        for (TrainingEvent e : events) {
            out.addAll(monitor.process(s, e));
        }
        return out;
    }

    private static List<Alert> firing(List<Alert> alerts, String detector) {
        return alerts.stream().filter(a -> a.detector().equals(detector) && a.status().equals(Alert.FIRING)).toList();
    }

    /** A reported explosion: 2.6 -> 82 -> 2,700 with norms 2.3 -> 60 -> 665, then dead ReLUs. */
    private static List<TrainingEvent> explodeThenDie(int deadSteps) {
        List<TrainingEvent> events = new ArrayList<>();
        events.add(started(10));
        events.add(step(0, 2.6, 2.3));
        events.add(step(1, 82, 60));
        events.add(step(2, 2700, 665));
        for (int t = 3; t < 3 + deadSteps; t++) {
            events.add(dead(t, LN10 + 0.01 * Math.sin(t)));
        }
        return events;
    }

    @Test
    void anExplosionInTheFirstStepsFiresAtOnceWithoutARunningMedian() {
        RunState s = monitor.newState("r");
        List<Alert> alerts = run(s, explodeThenDie(0));
        List<Alert> exploding = firing(alerts, DetectorName.EXPLODING_GRADIENTS.id());
        assertThat(exploding).hasSize(1);
        assertThat(exploding.get(0).step()).isEqualTo(1);
        assertThat(exploding.get(0).summary()).contains("at step 1").contains("first loss").contains("26x");
        assertThat(exploding.get(0).evidence()).containsKeys("firstGradientNorm", "referenceLoss");
        assertThat(s.explosionStep).isEqualTo(2); // the peak of the explosion
        assertThat(s.explosionGradientNorm).isEqualTo(665.0);
    }

    @Test
    void theDeadReluAlertAfterAnExplosionNamesItAsTheCause() {
        RunState s = monitor.newState("r");
        List<Alert> vanishing = firing(run(s, explodeThenDie(60)), DetectorName.VANISHING_GRADIENTS.id());
        assertThat(vanishing).hasSize(1);
        assertThat(vanishing.get(0).summary()).contains("dead after a gradient spike at step 2")
                .contains("learning rate is too high");
        assertThat(vanishing.get(0).remedy()).contains("lower the learning rate").contains("warm it up")
                .contains("clip gradients");
        assertThat(vanishing.get(0).evidence()).containsEntry("explosionStep", 2.0);
    }

    @Test
    void deadReluWithoutAnExplosionKeepsItsOwnRemedy() {
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = new ArrayList<>();
        events.add(started(10));
        for (int t = 0; t < 10; t++) {
            events.add(step(t, LN10 - 0.01 * t, 1.0));
        }
        for (int t = 10; t < 50; t++) {
            events.add(dead(t, LN10));
        }
        List<Alert> vanishing = firing(run(s, events), DetectorName.VANISHING_GRADIENTS.id());
        assertThat(vanishing).hasSize(1);
        assertThat(vanishing.get(0).summary()).doesNotContain("gradient spike");
        assertThat(vanishing.get(0).remedy()).isEqualTo(VanishingGradientsDetector.DEAD_REMEDY);
    }

    @Test
    void aLossThatJumpsWithoutTheGradientIsNotAnEarlyExplosion() {
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = List.of(started(10), step(0, 2.3, 2.0), step(1, 30, 2.5), step(2, 40, 2.4));
        assertThat(firing(run(s, events), DetectorName.EXPLODING_GRADIENTS.id())).isEmpty();
    }

    @Test
    void growingGradientsWithAFallingLossAreNotAnEarlyExplosion() {
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = List.of(started(10), step(0, 2.3, 0.1), step(1, 2.0, 1.0), step(2, 1.7, 5.0));
        assertThat(firing(run(s, events), DetectorName.EXPLODING_GRADIENTS.id())).isEmpty();
        assertThat(s.explosionStep).isEqualTo(-1);
    }

    @Test
    void aRunThatStartsFarAboveLnCIsJudgedAgainstItsFirstLoss() {
        // huge initial weights: 5,000 at the start, falling; its gradients are large and shrinking
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = new ArrayList<>();
        events.add(started(10));
        for (int t = 0; t < 30; t++) {
            events.add(step(t, 5000 * Math.pow(0.8, t) + 2, 100 * Math.pow(0.9, t)));
        }
        assertThat(firing(run(s, events), DetectorName.EXPLODING_GRADIENTS.id())).isEmpty();
    }

    @Test
    void theEarlyRuleStopsWhenTheEarlyScaleIsSet() {
        // a late jump of the loss with 3x the first gradient is the spike rule's to judge (divergence otherwise)
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = new ArrayList<>();
        events.add(started(10));
        for (int t = 0; t < 40; t++) {
            events.add(step(t, LN10 * Math.exp(-t / 20.0), 1.0));
        }
        events.add(step(40, 12, 3.2));
        run(s, events);
        assertThat(s.explosionStep).isEqualTo(-1);
        assertThat(s.earlyGradientScale).isEqualTo(1.0);
    }

    @Test
    void nonFiniteValuesInTheFirstStepsNeverThrowAndFireCritical() {
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = List.of(started(10), step(0, Double.NaN, Double.NaN), step(1, 2.3, 1.0),
                step(2, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY), step(3, 2.3, 1.0));
        List<Alert> exploding = firing(run(s, events), DetectorName.EXPLODING_GRADIENTS.id());
        assertThat(exploding).extracting(Alert::severity).containsExactly(Alert.CRITICAL);
        assertThat(s.firstLoss).isEqualTo(2.3);
        assertThat(s.firstGradientNorm).isEqualTo(1.0);
    }

    @Test
    void aZeroOrMissingFirstGradientLeavesTheEarlyRuleSilent() {
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = List.of(started(10), step(0, 2.3, 0.0), step(1, 80, 0.0), step(2, 900, 0.0));
        assertThat(firing(run(s, events), DetectorName.EXPLODING_GRADIENTS.id())).isEmpty();
        assertThat(s.firstGradientNorm).isNaN();
    }

    @Test
    void aMiniBatchBumpOfAConvergedRunIsNoExplosion() {
        // converged: norm ~6e-4 after starting at ~2; a hard batch bumps it 2,000x the median for 4 steps and moves the
        // tiny loss by 3x (a 20,000-step trainer run)
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = new ArrayList<>();
        events.add(started(10));
        for (int t = 0; t < 3000; t++) {
            double loss = LN10 * (1e-3 + Math.exp(-t / 100.0));
            double norm = 2 * (1e-3 * 0.3 + Math.exp(-t / 100.0));
            boolean bump = t >= 2500 && t < 2504;
            events.add(step(t, bump ? 3 * loss : loss, bump ? 2000 * norm : norm));
        }
        assertThat(firing(run(s, events), DetectorName.EXPLODING_GRADIENTS.id())).isEmpty();
    }

    @Test
    void aRealExplosionOfAConvergedRunStillFires() {
        // the same run, its rate raised 100x at 2,500: the gradient passes its early scale and the loss climbs back
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = new ArrayList<>();
        events.add(started(10));
        for (int t = 0; t < 2600; t++) {
            double loss = LN10 * (1e-3 + Math.exp(-t / 100.0));
            double norm = 2 * (1e-3 * 0.3 + Math.exp(-t / 100.0));
            if (t >= 2500) {
                loss = Math.min(50, 0.01 * Math.pow(1.5, t - 2500));
                norm = Math.min(1e4, 0.01 * Math.pow(2, t - 2500));
            }
            events.add(step(t, loss, norm));
        }
        List<Alert> exploding = firing(run(s, events), DetectorName.EXPLODING_GRADIENTS.id());
        assertThat(exploding).isNotEmpty();
        assertThat(exploding.get(0).step()).isBetween(2500L, 2530L);
    }

    @Test
    void theLongHealthyRunsFireOnlyWithoutTheTwoGates() {
        // with both gates off (the rule as it was), the long runs' hard batches are reported as explosions
        RunMonitor ungated = new RunMonitor(TestConfig.with(Map.of(
                "trainwatch.monitor.exploding-gradients.min-fraction-of-early-scale", "0",
                "trainwatch.monitor.exploding-gradients.min-loss-rise-of-progress", "0")));
        int ungatedFirings = 0;
        for (Fixtures.Fixture f : LongRuns.all()) {
            RunState gatedState = monitor.newState(f.file());
            RunState ungatedState = ungated.newState(f.file());
            for (TrainingEvent e : f.events()) {
                assertThat(monitor.process(gatedState, e))
                        .noneMatch(a -> a.detector().equals(DetectorName.EXPLODING_GRADIENTS.id()));
                ungatedFirings += (int) ungated.process(ungatedState, e).stream()
                        .filter(a -> a.detector().equals(DetectorName.EXPLODING_GRADIENTS.id())
                                && a.status().equals(Alert.FIRING)).count();
            }
        }
        assertThat(ungatedFirings).isGreaterThan(0);
    }
}
