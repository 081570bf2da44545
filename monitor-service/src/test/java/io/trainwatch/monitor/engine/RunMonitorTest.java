package io.trainwatch.monitor.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.support.SyntheticRuns;
import io.trainwatch.monitor.support.TestConfig;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine on its own: episodes, NaN and Infinity, duplicates, out-of-order steps, state round trips. */
class RunMonitorTest {

    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());

    private static StepEvent step(long step, double loss) {
        return new StepEvent(Contract.SCHEMA_VERSION, "r", T0.plusSeconds(step), null, null, step, 0, loss, null, 0.01,
                1.0, Map.of("l0", 0.5, "l1", 0.6), null, null, null, null);
    }

    private List<Alert> all(RunState s, List<TrainingEvent> events) {
        List<Alert> out = new ArrayList<>();
        for (TrainingEvent e : events) {
            out.addAll(monitor.process(s, e));
        }
        return out;
    }

    private static StepEvent stepAt(long step, double loss, double lr) {
        return new StepEvent(Contract.SCHEMA_VERSION, "r", T0.plusSeconds(step), null, null, step, 0, loss, null, lr,
                1.0, Map.of("l0", 0.5, "l1", 0.6), null, null, null, null);
    }

    /** A loss falling steadily from 3.0 by 0.5 % a step: it is still improving at any step. */
    private static double falling(long step) {
        return 3.0 * Math.pow(0.995, step);
    }

    @Test
    void aDecaySoonAfterAPlateauAlertAnswersItAndIsNotTooEarlyEvenIfThePlateauResolvedMeanwhile() {
        RunState answered = monitor.newState("r");
        RunState early = monitor.newState("r");
        answered.lastPlateauStep = 100; // a plateau fired at step 100 and has resolved since
        for (RunState s : List.of(answered, early)) {
            for (int i = 0; i < 150; i++) {
                monitor.process(s, stepAt(i, falling(i), 0.01));
            }
            monitor.process(s, stepAt(150, falling(150), 0.001));
        }
        assertThat(answered.lrDropStep).isEqualTo(-1);
        assertThat(early.lrDropStep).isEqualTo(150);
        assertThat(RunStateCodec.read(RunStateCodec.write(answered)).lastPlateauStep).isEqualTo(100);
    }

    /** Steps 0..{@code decayAt - 1} at rate 0.01, then 0.001, with {@code loss}; the alerts. */
    private List<Alert> decayed(RunState s, int decayAt, int steps, java.util.function.LongToDoubleFunction loss) {
        List<Alert> out = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            out.addAll(monitor.process(s, stepAt(i, loss.applyAsDouble(i), i < decayAt ? 0.01 : 0.001)));
        }
        return out;
    }

    @Test
    void aDecayWhileTheLossStillFallsThenFlatIsTooEarly() {
        RunState s = monitor.newState("r");
        List<Alert> alerts = decayed(s, 150, 400, t -> t < 150 ? falling(t) : falling(150));
        assertThat(alerts).filteredOn(a -> a.status().equals(Alert.FIRING)).extracting(Alert::detector)
                .containsExactly("lr-decayed-too-early");
        assertThat(alerts.get(0).step()).isBetween(250L, 320L);
    }

    @Test
    void aDecayAfterTheLossLevelledOffAnswersItAndThePlateauWaitsAFullPatienceFromTheDecay() {
        // falls until step 60, flat from there (the smoothed loss's last 1 % of progress comes ~40 steps later): a
        // decay at 180 answers a levelling-off, as ReduceLROnPlateau's would, it is not a decay too early
        RunState s = monitor.newState("r");
        List<Alert> alerts = decayed(s, 180, 400, t -> t < 60 ? falling(t) : falling(60));
        assertThat(s.lrDropStep).isEqualTo(-1);
        List<Alert> firing = alerts.stream().filter(a -> a.status().equals(Alert.FIRING)).toList();
        assertThat(firing).extracting(Alert::detector).containsExactly("plateau");
        // without the decay the plateau fires ~100 steps after the last progress; the decay restarts the patience
        // (Keras and PyTorch ReduceLROnPlateau reset their wait after a reduction)
        assertThat(firing.get(0).step()).isEqualTo(280L);
        List<Alert> undecayed = decayed(monitor.newState("r"), Integer.MAX_VALUE, 400,
                t -> t < 60 ? falling(t) : falling(60));
        assertThat(undecayed).filteredOn(a -> a.status().equals(Alert.FIRING)).extracting(Alert::step)
                .singleElement().satisfies(step -> assertThat(step).isLessThan(230L));
    }

    @Test
    void aDecayRestartsOnlyThePlateausCountNotTheRunsLastProgress() {
        RunState s = monitor.newState("r");
        decayed(s, 180, 250, t -> t < 60 ? falling(t) : falling(60));
        // underfitting's flatness and exploding-gradients' "not improving" read the last progress, not the decay
        assertThat(s.plateauFromStep).isEqualTo(180);
        assertThat(s.bestStep).isBetween(60L, 179L);
        byte[] bytes = RunStateCodec.write(s);
        assertThat(RunStateCodec.read(bytes).plateauFromStep).isEqualTo(180);
        // a state written before the field existed (nor the ones appended after it) counts the plateau from the
        // last progress
        RunState old = RunStateCodec.read(java.util.Arrays.copyOf(bytes, bytes.length - Long.BYTES - LATER_BYTES));
        assertThat(old.plateauFromStep).isEqualTo(s.bestStep);
    }

    /**
     * The fields appended after plateauFromStep: early explosions, the validation-loss rise, decays, range tests, then
     * the validation accuracy's swing.
     */
    static final int LATER_BYTES = 7 * Double.BYTES + 2 * Long.BYTES + 1 + 2 * Double.BYTES;

    @Test
    void theFieldsOfExplosionsRisesDecaysAndRangeTestsSurviveTheCodecAndOldStatesReadAsNone() {
        RunState s = monitor.newState("r");
        s.firstGradientNorm = 2.5;
        s.earlyGradientScale = 1.5;
        s.explosionStep = 2;
        s.explosionGradientNorm = Double.POSITIVE_INFINITY;
        s.riseStartValidationLoss = 0.3;
        s.riseStartTrainLoss = Double.NaN;
        s.lastDecayStep = 400;
        s.rangeTest = true;
        s.emaLogUpdateSlow = -2.5;
        s.l2 = 0.06;
        s.lastValidationAccuracy = 0.91;
        s.validationAccuracySwing = 0.4;
        byte[] bytes = RunStateCodec.write(s);
        RunState back = RunStateCodec.read(bytes);
        assertThat(back.firstGradientNorm).isEqualTo(2.5);
        assertThat(back.earlyGradientScale).isEqualTo(1.5);
        assertThat(back.explosionStep).isEqualTo(2);
        assertThat(back.explosionGradientNorm).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(back.riseStartValidationLoss).isEqualTo(0.3);
        assertThat(back.riseStartTrainLoss).isNaN();
        assertThat(back.lastDecayStep).isEqualTo(400);
        assertThat(back.rangeTest).isTrue();
        assertThat(back.emaLogUpdateSlow).isEqualTo(-2.5);
        assertThat(back.l2).isEqualTo(0.06);
        assertThat(back.lastValidationAccuracy).isEqualTo(0.91);
        assertThat(back.validationAccuracySwing).isEqualTo(0.4);
        RunState old = RunStateCodec.read(java.util.Arrays.copyOf(bytes, bytes.length - LATER_BYTES));
        assertThat(old).isNotNull();
        assertThat(old.explosionStep).isEqualTo(-1);
        assertThat(old.lastDecayStep).isEqualTo(-1);
        assertThat(old.rangeTest).isFalse();
        assertThat(old.firstGradientNorm).isNaN();
        assertThat(old.emaLogUpdateSlow).isNaN();
        assertThat(old.l2).isNaN();
        assertThat(old.validationAccuracySwing).isNaN();
        // a state written before the swing existed reads it as none
        RunState beforeSwing = RunStateCodec.read(java.util.Arrays.copyOf(bytes, bytes.length - 2 * Double.BYTES));
        assertThat(beforeSwing.l2).isEqualTo(0.06);
        assertThat(beforeSwing.lastValidationAccuracy).isNaN();
        assertThat(beforeSwing.validationAccuracySwing).isNaN();
    }

    @Test
    void aDecayKeepsAReportedPlateauOpenUntilTheLossImproves() {
        RunState s = monitor.newState("r");
        List<Alert> alerts = decayed(s, 300, 360, t -> t < 60 ? falling(t) : falling(60));
        assertThat(alerts).extracting(Alert::detector, Alert::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("plateau", Alert.FIRING));
        assertThat(s.bestStep).isLessThan(300);
        assertThat(s.lrDropStep).isEqualTo(-1);
    }

    @Test
    void nonFiniteLossesAroundADecayChangeNothingAndNeverThrow() {
        RunState s = monitor.newState("r");
        List<Alert> alerts = decayed(s, 180, 400, t -> t == 179 || t == 181 ? Double.NaN : t == 182
                ? Double.POSITIVE_INFINITY : t < 60 ? falling(t) : falling(60));
        assertThat(alerts).extracting(Alert::detector).contains("divergence");
        assertThat(s.lrDropStep).isEqualTo(-1);
        assertThat(RunStateCodec.read(RunStateCodec.write(s))).isNotNull();
    }

    @Test
    void aNanLossFiresDivergenceOnceAndTheRunEndResolvesIt() {
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(step(i, 1.0));
        }
        events.add(step(20, Double.NaN));
        events.add(step(21, Double.POSITIVE_INFINITY));
        events.add(step(22, Double.NaN));
        events.add(new RunFinished(1, "r", T0.plusSeconds(30), null, null, RunFinished.DIVERGED, "nan", 22, 0L));
        List<Alert> alerts = all(s, events);
        assertThat(alerts).filteredOn(a -> a.detector().equals("divergence")).extracting(Alert::status)
                .containsExactly(Alert.FIRING, Alert.RESOLVED);
        Alert firing = alerts.get(0);
        assertThat(firing.step()).isEqualTo(20);
        assertThat(firing.severity()).isEqualTo(Alert.CRITICAL);
        assertThat(firing.evidence()).containsKey("loss");
        assertThat(firing.evidence().get("loss")).isNaN();
        assertThat(firing.remedy()).isNotBlank();
        assertThat(firing.suggestedAction()).isEqualTo(Alert.ACTION_STOP);
        assertThat(firing.alertId()).isEqualTo(Alert.fingerprint("r", "divergence", 20));
        assertThat(alerts.get(alerts.size() - 1).alertId()).isEqualTo(firing.alertId());
        assertThat(s.finished()).isTrue();
    }

    @Test
    void nonFiniteEverywhereNeverThrows() {
        RunState s = monitor.newState("r");
        double[] values = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, -1, 1e308, Double.MIN_VALUE};
        Random random = new Random(1);
        for (int i = 0; i < 500; i++) {
            double v = values[random.nextInt(values.length)];
            monitor.process(s, new StepEvent(1, "r", T0, null, null, i, i / 10, v, v, v, v,
                    Map.of("a", v, "b", values[random.nextInt(values.length)]), Map.of("a", v), Map.of("a", v, "b", v),
                    v, v));
            if (i % 10 == 0) {
                monitor.process(s, new ValidationEvent(1, "r", T0, null, null, i, i / 10, v, v, v, v));
            }
        }
        assertThat(s.steps).isEqualTo(500);
        assertThat(RunStateCodec.read(RunStateCodec.write(s))).isNotNull();
    }

    @Test
    void duplicatedAndOutOfOrderStepsAreIgnoredAndChangeNothing() {
        List<TrainingEvent> run = SyntheticRuns.exploding(4).events();
        RunState clean = monitor.newState("x");
        List<Alert> expected = all(clean, run);

        List<TrainingEvent> noisy = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < run.size(); i++) {
            noisy.add(run.get(i));
            if (random.nextInt(4) == 0) {
                noisy.add(run.get(i)); // a duplicate
            }
            if (i > 5 && random.nextInt(5) == 0) {
                noisy.add(run.get(i - 1 - random.nextInt(5))); // an old one, late
            }
        }
        RunState s = monitor.newState("x");
        assertThat(all(s, noisy)).isEqualTo(expected);
        assertThat(s.ignored).isPositive();
        assertThat(RunStateCodec.write(s)).hasSize(RunStateCodec.write(clean).length);
    }

    @Test
    void aStateSerializedMidRunContinuesExactlyAsIfNothingHappened() {
        for (SyntheticRuns.Labelled labelled : SyntheticRuns.all(5)) {
            List<TrainingEvent> run = labelled.events();
            RunState straight = monitor.newState(run.get(0).runId());
            List<Alert> expected = all(straight, run);

            RunState s = monitor.newState(run.get(0).runId());
            List<Alert> got = new ArrayList<>();
            for (TrainingEvent e : run) {
                got.addAll(monitor.process(s, e));
                s = RunStateCodec.read(RunStateCodec.write(s)); // a restart after every event
            }
            assertThat(got).as(labelled.name()).isEqualTo(expected);
            assertThat(RunStateCodec.write(s).length).as("bytes of state").isLessThan(1024);
        }
    }

    @Test
    void replayingARunGivesTheSameAlertIds() {
        List<TrainingEvent> run = SyntheticRuns.overfitting(2).events();
        List<Alert> first = all(monitor.newState("a"), run);
        List<Alert> second = all(monitor.newState("a"), run);
        assertThat(first).isNotEmpty().isEqualTo(second);
    }

    @Test
    void garbageStateBytesGiveNullNotAnException() {
        assertThat(RunStateCodec.read(null)).isNull();
        assertThat(RunStateCodec.read(new byte[0])).isNull();
        assertThat(RunStateCodec.read(new byte[] {RunStateCodec.VERSION, 0, 0})).isNull();
        byte[] good = RunStateCodec.write(monitor.newState("r"));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
        assertThat(RunStateCodec.read(truncated)).isNull();
        byte[] hugeString = good.clone();
        hugeString[1] = 0x7f;
        assertThat(RunStateCodec.read(hugeString)).isNull();
    }

    @Test
    void aHealthyNoisyRunInAnyOrderOfSeedsRaisesNothing() {
        List<Long> seeds = new ArrayList<>(List.of(11L, 12L, 13L, 14L, 15L, 16L));
        Collections.shuffle(seeds, new Random(3));
        for (long seed : seeds) {
            assertThat(all(monitor.newState("h"), SyntheticRuns.healthy(seed).events())).as("seed " + seed).isEmpty();
            assertThat(all(monitor.newState("h"), SyntheticRuns.healthyWithDecay(seed).events())).as("decay seed " + seed)
                    .isEmpty();
        }
    }

    private static io.trainwatch.events.RunStarted startedWith(Map<String, Object> schedule) {
        return new io.trainwatch.events.RunStarted(Contract.SCHEMA_VERSION, "r", T0, null, null,
                new io.trainwatch.events.RunConfig("range-test", "d", 10, "cross-entropy", List.of(), "sgd", 1e-5, 32,
                        1, 0.0, 0.0, 1L, null, schedule, null), "t", "cpu");
    }

    /** A range test's curve: flat at ln(10) while the rate is tiny, falling, then blowing up to NaN at its end. */
    private static List<TrainingEvent> rangeTest(Map<String, Object> schedule) {
        List<TrainingEvent> events = new ArrayList<>();
        events.add(startedWith(schedule));
        double ln10 = Math.log(10);
        for (int t = 0; t < 300; t++) {
            double lr = 1e-5 * Math.pow(3e6, t / 299.0);
            double loss = t < 150 ? ln10 : t < 240 ? ln10 * (1 - 0.6 * (t - 150) / 90.0)
                    : t < 295 ? 0.4 * ln10 * Math.pow(1.15, t - 240) : Double.NaN;
            double norm = t < 240 ? 0.5 : 0.5 * Math.pow(1.3, t - 240);
            events.add(new StepEvent(Contract.SCHEMA_VERSION, "r", T0.plusMillis(10L * t), null, null, t, 0, loss, null,
                    lr, norm, Map.of("l0", norm / 2, "l1", norm / 2), null, null, null, null));
        }
        return events;
    }

    @Test
    void aRangeTestsDivergentEndIsInfoWithNoActionAndItsFlatStartNoDiagnosis() {
        RunState s = monitor.newState("r");
        List<Alert> alerts = all(s, rangeTest(Map.of("type", "range", "from", 1e-5, "to", 30.0, "steps", 300)));
        assertThat(s.rangeTest).isTrue();
        List<Alert> firing = alerts.stream().filter(a -> a.status().equals(Alert.FIRING)).toList();
        assertThat(firing).extracting(Alert::detector).contains("divergence")
                .doesNotContain("bad-initialization", "plateau", "underfitting", "lr-decayed-too-early");
        assertThat(firing).allSatisfy(a -> {
            assertThat(a.severity()).isEqualTo(Alert.INFO);
            assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_NONE);
            assertThat(a.summary()).startsWith("The learning-rate range test reached its expected end");
        });
        assertThat(RunStateCodec.read(RunStateCodec.write(s)).rangeTest).isTrue();
    }

    @Test
    void theSameCurveWithoutARangeScheduleIsDiagnosedAsUsual() {
        for (Map<String, Object> schedule : java.util.Arrays.<Map<String, Object>>asList(null, Map.of("type", "step"),
                Map.of("type", "RANGE"), Map.of("kind", "range"))) {
            RunState s = monitor.newState("r");
            List<Alert> alerts = all(s, rangeTest(schedule));
            assertThat(s.rangeTest).as("%s", schedule).isFalse();
            assertThat(alerts).as("%s", schedule).anySatisfy(a -> {
                assertThat(a.detector()).isEqualTo("divergence");
                assertThat(a.severity()).isEqualTo(Alert.CRITICAL);
                assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_STOP);
            });
        }
    }
}
