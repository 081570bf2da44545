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
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.SyntheticRuns;
import io.trainwatch.monitor.support.TestConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Underfitting that looks like a plateau: a flat loss with no train/validation gap that outlasts the plateau's
 * patience (or a decay), at a mediocre level, with updates in the healthy range, moves from plateau to underfitting.
 */
class UnderfittingDetectorTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private static final double LN10 = Math.log(10);

    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());

    /** A 10-class run: the loss, the learning rate, the output layer's update ratio, and the validation's gap. */
    private record Run(LongToDoubleFunction loss, LongToDoubleFunction lr, double updateRatio, double valLossFactor,
                       double trainAcc, double valAcc) {
    }

    private static List<TrainingEvent> events(Run r, int steps) {
        List<TrainingEvent> events = new ArrayList<>();
        events.add(new RunStarted(Contract.SCHEMA_VERSION, "r", T0, null, null, new RunConfig("t", "d", 10,
                "cross-entropy", List.of(new LayerInfo("fc1", "dense", 64, 64, "relu", "he"),
                new LayerInfo("fc2", "output", 64, 10, "softmax", "he")), "sgd", 0.1, 32, 10, 0.06, 0.0, 1L),
                "t", "cpu"));
        Random random = new Random(3);
        for (long t = 0; t < steps; t++) {
            double loss = r.loss.applyAsDouble(t) * Math.exp(0.05 * random.nextGaussian());
            Map<String, Double> grads = new LinkedHashMap<>();
            grads.put("fc1", 0.3);
            grads.put("fc2", 0.4);
            Map<String, Double> ratios = new LinkedHashMap<>();
            ratios.put("fc1", r.updateRatio);
            ratios.put("fc2", Double.isNaN(r.updateRatio) ? null : r.updateRatio);
            if (Double.isNaN(r.updateRatio)) {
                ratios = null;
            }
            events.add(new StepEvent(Contract.SCHEMA_VERSION, "r", T0.plusMillis(10 * t), null, null, t, (int) (t / 50),
                    loss, null, r.lr.applyAsDouble(t), 0.5, grads, null, ratios, null, null));
            if ((t + 1) % 50 == 0) {
                double train = r.loss.applyAsDouble(t);
                events.add(new ValidationEvent(Contract.SCHEMA_VERSION, "r", T0.plusMillis(10 * t + 5), null, null, t,
                        (int) (t / 50), train, r.trainAcc, train * r.valLossFactor, r.valAcc));
            }
        }
        return events;
    }

    private Map<String, Long> firings(Run r, int steps) {
        return firings(monitor, events(r, steps));
    }

    private static Map<String, Long> firings(RunMonitor monitor, List<TrainingEvent> events) {
        RunState s = monitor.newState("r");
        Map<String, Long> first = new java.util.TreeMap<>();
        for (TrainingEvent e : events) {
            for (Alert a : monitor.process(s, e)) {
                if (Alert.FIRING.equals(a.status())) {
                    first.putIfAbsent(a.detector(), a.step());
                }
            }
        }
        return first;
    }

    /** Falls from ln(10) to {@code level} x ln(10) by step ~300, then flat. */
    private static LongToDoubleFunction flatAt(double level) {
        return t -> LN10 * (level + (1 - level) * Math.exp(-t / 60.0));
    }

    @Test
    void aStronglyRegularisedModelFlatAt40PercentOfLnCIsUnderfittingAfterItsPlateau() {
        // weight decay holding the loss at ~40 % of ln(C), train and validation figures equal, accuracy 0.89
        Run run = new Run(flatAt(0.4), t -> 0.1, 3e-3, 1.0, 0.89, 0.89);
        Map<String, Long> first = firings(run, 1200);
        assertThat(first).containsKeys(DetectorName.PLATEAU.id(), DetectorName.UNDERFITTING.id());
        assertThat(first.get(DetectorName.UNDERFITTING.id())).isGreaterThan(first.get(DetectorName.PLATEAU.id()));
        assertThat(first).doesNotContainKeys(DetectorName.OVERFITTING.id(), DetectorName.BAD_INITIALIZATION.id());
    }

    @Test
    void theUnderfittingAlertResolvesThePlateauAndExplainsItself() {
        Run run = new Run(flatAt(0.4), t -> 0.1, 3e-3, 1.0, 0.89, 0.89);
        RunState s = monitor.newState("r");
        List<Alert> alerts = new ArrayList<>();
        for (TrainingEvent e : events(run, 1200)) {
            alerts.addAll(monitor.process(s, e));
        }
        Alert under = alerts.stream().filter(a -> a.detector().equals(DetectorName.UNDERFITTING.id())).findFirst()
                .orElseThrow();
        assertThat(under.severity()).isEqualTo(Alert.WARNING);
        assertThat(under.suggestedAction()).isEqualTo(Alert.ACTION_STOP);
        assertThat(under.summary()).containsPattern("\\((39|40|41)% of ln\\(C\\)\\)").contains("no train/validation gap")
                .contains("not a learning-rate plateau");
        assertThat(under.remedy()).contains("bigger model").contains("less regularisation");
        assertThat(alerts).anySatisfy(a -> {
            assertThat(a.detector()).isEqualTo(DetectorName.PLATEAU.id());
            assertThat(a.status()).isEqualTo(Alert.RESOLVED);
            assertThat(a.summary()).startsWith("Superseded by underfitting");
            assertThat(a.step()).isEqualTo(under.step());
        });
        assertThat(s.active(RunMonitor.index(DetectorName.PLATEAU))).isFalse();
    }

    @Test
    void aFlatLossWithAValidationGapStaysAPlateau() {
        // the model fits its training set better than the validation set: capacity is not what limits it
        Run run = new Run(flatAt(0.4), t -> 0.1, 3e-3, 1.3, 0.95, 0.85);
        assertThat(firings(run, 1200)).containsKey(DetectorName.PLATEAU.id()).doesNotContainKey(DetectorName.UNDERFITTING.id());
    }

    @Test
    void aConfidentFlatLossIsNotMediocre() {
        // flat at 0.16 (exp(-0.16) = 0.85): the model fits what the data allows
        Run run = new Run(t -> 0.16 + (LN10 - 0.16) * Math.exp(-t / 60.0), t -> 0.1, 3e-3, 1.05, 0.95, 0.94);
        assertThat(firings(run, 1500)).doesNotContainKey(DetectorName.UNDERFITTING.id());
    }

    @Test
    void updatesAboveTheUnstableLineMakeItTheRatesPlateauUntilADecayFails() {
        Run rateBound = new Run(flatAt(0.4), t -> 0.1, 2e-2, 1.0, 0.89, 0.89);
        assertThat(firings(rateBound, 1500)).containsKey(DetectorName.PLATEAU.id())
                .doesNotContainKey(DetectorName.UNDERFITTING.id());
        // updates below the slow line: a rate too low to move the loss is the rate's plateau too
        Run tooSlow = new Run(flatAt(0.4), t -> 0.1, 3e-5, 1.0, 0.89, 0.89);
        assertThat(firings(tooSlow, 1500)).doesNotContainKey(DetectorName.UNDERFITTING.id());
        // the same flat after a decay (at 700, once the plateau was reported) that did not move it: underfitting
        Run decayed = new Run(flatAt(0.4), t -> t < 700 ? 0.1 : 0.01, 2e-2, 1.0, 0.89, 0.89);
        Map<String, Long> first = firings(decayed, 1500);
        assertThat(first).containsKey(DetectorName.UNDERFITTING.id());
        assertThat(first.get(DetectorName.UNDERFITTING.id())).isGreaterThanOrEqualTo(700 + 100);
    }

    @Test
    void aDecayMadeWhileTheLossStillImprovedIsNeverTheModelsLimit() {
        // cut 100x at step 40 while the loss was falling fast, then flat at 60 % of ln(C) with accuracies of 0.8
        Run early = new Run(t -> t < 40 ? LN10 * (1 - 0.01 * t) : LN10 * 0.6, t -> t < 40 ? 0.1 : 0.001, 3e-3, 1.0,
                0.8, 0.8);
        RunState s = monitor.newState("r");
        Map<String, Long> first = firings(monitor, events(early, 1200));
        for (TrainingEvent e : events(early, 1200)) {
            monitor.process(s, e);
        }
        assertThat(s.lrDropStep).isEqualTo(40);
        assertThat(first).doesNotContainKey(DetectorName.UNDERFITTING.id());
    }

    @Test
    void withoutUpdateRatiosOrAccuraciesTheFlatAndTheLossesDecide() {
        Run bare = new Run(flatAt(0.4), t -> 0.1, Double.NaN, 1.0, Double.NaN, Double.NaN);
        assertThat(firings(bare, 1200)).containsKey(DetectorName.UNDERFITTING.id());
    }

    @Test
    void nonFiniteValidationFiguresNeverHoldAndNeverThrow() {
        Run nan = new Run(flatAt(0.4), t -> 0.1, 3e-3, Double.NaN, Double.NaN, Double.POSITIVE_INFINITY);
        assertThat(firings(nan, 1200)).doesNotContainKey(DetectorName.UNDERFITTING.id());
        Run inf = new Run(flatAt(0.4), t -> 0.1, 3e-3, Double.POSITIVE_INFINITY, 0.9, 0.9);
        assertThat(firings(inf, 1200)).doesNotContainKey(DetectorName.UNDERFITTING.id());
    }

    @Test
    void aNonFiniteUpdateRatioIsIgnored() {
        Run infRatio = new Run(flatAt(0.4), t -> 0.1, Double.POSITIVE_INFINITY, 1.0, 0.89, 0.89);
        RunState s = monitor.newState("r");
        for (TrainingEvent e : events(infRatio, 300)) {
            monitor.process(s, e);
        }
        assertThat(s.emaLogUpdateSlow).isNaN();
    }

    @Test
    void aLossStillFallingIsNeitherPlateauNorUnderfitting() {
        Run falling = new Run(t -> LN10 * Math.exp(-t / 400.0), t -> 0.1, 3e-3, 1.0, 0.89, 0.89);
        assertThat(firings(falling, 1200)).doesNotContainKeys(DetectorName.UNDERFITTING.id(), DetectorName.PLATEAU.id());
    }

    @Test
    void theWeightDecaysOwnShareOfTheUpdatesIsNotTheRatesNoise() {
        // SGD at 0.1 with l2 0.06: the decay alone shrinks the weights by 6e-3 a step; an update ratio of 1.3e-2 is
        // under 1e-2 + 6e-3, so the flat is the model's (as the recorded weight-decay run)
        Run run = new Run(flatAt(0.4), t -> 0.1, 1.3e-2, 1.0, 0.89, 0.89);
        assertThat(firings(run, 1200)).containsKey(DetectorName.UNDERFITTING.id());
        // the same updates with no weight decay announced are above the unstable line: the rate's plateau
        List<TrainingEvent> noDecay = new ArrayList<>(events(run, 1200));
        RunStarted started = (RunStarted) noDecay.get(0);
        RunConfig c = started.config();
        noDecay.set(0, new RunStarted(Contract.SCHEMA_VERSION, "r", T0, null, null, new RunConfig(c.scenario(),
                c.dataset(), c.numClasses(), c.lossFunction(), c.layers(), c.optimizer(), c.learningRate(),
                c.batchSize(), c.epochs(), 0.0, c.dropout(), c.seed()), "t", "cpu"));
        assertThat(firings(monitor, noDecay)).containsKey(DetectorName.PLATEAU.id())
                .doesNotContainKey(DetectorName.UNDERFITTING.id());
        // a NaN or negative l2 counts as none
        RunState s = monitor.newState("r");
        monitor.process(s, new RunStarted(Contract.SCHEMA_VERSION, "r", T0, null, null, new RunConfig(c.scenario(),
                c.dataset(), c.numClasses(), c.lossFunction(), c.layers(), c.optimizer(), c.learningRate(),
                c.batchSize(), c.epochs(), Double.NaN, c.dropout(), c.seed()), "t", "cpu"));
        assertThat(s.l2).isNaN();
    }

    /** Every alert of a run, in order. */
    private List<Alert> alerts(List<TrainingEvent> events) {
        RunState s = monitor.newState("r");
        List<Alert> out = new ArrayList<>();
        for (TrainingEvent e : events) {
            out.addAll(monitor.process(s, e));
        }
        return out;
    }

    private static Alert firstFiring(List<Alert> alerts, DetectorName detector) {
        return alerts.stream().filter(a -> a.detector().equals(detector.id()) && Alert.FIRING.equals(a.status()))
                .findFirst().orElseThrow();
    }

    /** The run's validations with train and validation accuracy alternating between {@code low} and {@code high}. */
    private static List<TrainingEvent> swinging(List<TrainingEvent> events, double low, double high) {
        List<TrainingEvent> out = new ArrayList<>();
        int k = 0;
        for (TrainingEvent e : events) {
            if (e instanceof ValidationEvent v) {
                double acc = k++ % 2 == 0 ? low : high;
                e = new ValidationEvent(v.schemaVersion(), v.runId(), v.timestamp(), v.studyId(), v.trialId(), v.step(),
                        v.epoch(), v.trainLoss(), acc, v.validationLoss(), acc);
            }
            out.add(e);
        }
        return out;
    }

    @Test
    void anAccuracyThatOscillatesAtAHighRateIsTheRatesNotTheModels() {
        // rate 1.46, updates above the unstable line, accuracies swinging between 0.44 and 0.91 from one validation to
        // the next: the low ones look like underfitting, the cause is the rate
        Run run = new Run(flatAt(0.5), t -> 1.46, 2e-2, 1.0, 0.5, 0.5);
        Alert a = firstFiring(alerts(swinging(events(run, 1200), 0.44, 0.91)), DetectorName.UNDERFITTING);
        assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_DECAY_LR);
        assertThat(a.evidence().get("validationAccuracySwing")).isGreaterThan(0.3);
        assertThat(a.evidence()).containsEntry("learningRate", 1.46);
        assertThat(a.summary()).contains("oscillates at learning rate 1.46").contains("lower the learning rate");
        assertThat(a.remedy()).contains("lower the learning rate").doesNotContain("Use a bigger model");
    }

    @Test
    void aTrueUnderfittingKeepsItsCauseAndItsAction() {
        // the same flat run with steady accuracies (a validation-to-validation noise of 0.02): the model's limit
        Run run = new Run(flatAt(0.5), t -> 1.46, 2e-2, 1.0, 0.5, 0.5);
        Alert a = firstFiring(alerts(swinging(events(run, 1200), 0.49, 0.51)), DetectorName.UNDERFITTING);
        assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_STOP);
        assertThat(a.remedy()).startsWith("Use a bigger model");
        assertThat(a.evidence()).doesNotContainKeys("validationAccuracySwing", "smoothedUpdateRatio");
        // and the generated underfitting runs of the quality suite
        for (long seed = 1; seed <= 3; seed++) {
            Alert synthetic = firstFiring(alerts(SyntheticRuns.underfitting(seed).events()), DetectorName.UNDERFITTING);
            assertThat(synthetic.suggestedAction()).isEqualTo(Alert.ACTION_STOP);
            assertThat(synthetic.remedy()).contains("bigger model");
        }
    }

    @Test
    void updatesBelowTheSlowLineNameTheRateTooLowWithRaiseLearningRate() {
        // a rate too low: the output layer's updates are 3e-5 of its weights while the loss stays flat
        Run tooSlow = new Run(flatAt(0.4), t -> 0.1, 3e-5, 1.0, 0.89, 0.89);
        Alert plateau = firstFiring(alerts(events(tooSlow, 1500)), DetectorName.PLATEAU);
        assertThat(plateau.suggestedAction()).isEqualTo(Alert.ACTION_RAISE_LR);
        assertThat(plateau.evidence().get("smoothedUpdateRatio")).isBetween(2e-5, 4e-5);
        assertThat(plateau.summary()).contains("the update:parameter ratio is 3.0e-05 (about 1e-3 is healthy, "
                + "DL4J's training-UI guidance): the learning rate is too low; raise it");
        assertThat(plateau.remedy()).startsWith("The update:parameter ratio is 3.0e-05");
        // at low accuracies the flat looks like underfitting: the alert names the rate instead
        Run lowAccuracy = new Run(flatAt(0.5), t -> 0.1, 3e-5, 1.0, 0.5, 0.5);
        Alert under = firstFiring(alerts(events(lowAccuracy, 1200)), DetectorName.UNDERFITTING);
        assertThat(under.suggestedAction()).isEqualTo(Alert.ACTION_RAISE_LR);
        assertThat(under.summary()).contains("the learning rate is too low; raise it");
        // healthy updates keep the plateau's own advice
        Run healthy = new Run(flatAt(0.4), t -> 0.1, 2e-2, 1.3, 0.95, 0.85);
        assertThat(firstFiring(alerts(events(healthy, 1200)), DetectorName.PLATEAU).suggestedAction())
                .isEqualTo(Alert.ACTION_DECAY_LR);
    }
}
