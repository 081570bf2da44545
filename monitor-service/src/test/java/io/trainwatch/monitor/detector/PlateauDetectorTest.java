package io.trainwatch.monitor.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.TestConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The plateau's converged level: a cross-entropy that once reached exp(-loss) >= 0.9 is converged, not on a plateau. */
class PlateauDetectorTest {

    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());
    private final PlateauDetector plateau = new PlateauDetector(TestConfig.defaults().plateau());

    private static RunStarted started(String lossFunction) {
        return new RunStarted(Contract.SCHEMA_VERSION, "r", T0, null, null, new RunConfig(null, null, 3, lossFunction,
                List.of(), "adam", 0.01, 32, null, null, null, 1L), "test", "cpu");
    }

    private static StepEvent step(long step, double loss) {
        return new StepEvent(Contract.SCHEMA_VERSION, "r", T0.plusSeconds(step), null, null, step, 0, loss, null, 0.01,
                1.0, Map.of("l0", 0.5, "l1", 0.6), null, null, null, null);
    }

    /** The first step of each detector's first firing, for {@code steps} steps of {@code loss} with 20 % batch noise. */
    private Map<String, Long> firings(String lossFunction, int steps, LongToDoubleFunction loss) {
        return firings(monitor, lossFunction, steps, loss);
    }

    private static Map<String, Long> firings(RunMonitor monitor, String lossFunction, int steps,
                                             LongToDoubleFunction loss) {
        RunState s = monitor.newState("r");
        List<TrainingEvent> events = new ArrayList<>();
        if (lossFunction != null) {
            events.add(started(lossFunction));
        }
        Random random = new Random(5);
        for (long t = 0; t < steps; t++) {
            events.add(step(t, loss.applyAsDouble(t) * Math.exp(0.2 * random.nextGaussian())));
        }
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

    /** Falls from 1.1 to 0.06 by step 150, then bounces up to 0.14 (an optimiser's bounce) and stays there. */
    private static double convergedThenBouncing(long t) {
        return t < 150 ? 1.1 * Math.exp(-t / 150.0 * Math.log(1.1 / 0.06)) : t < 200 ? 0.06 + 0.08 * (t - 150) / 50.0
                : 0.14;
    }

    @Test
    void aCrossEntropyThatReachedNinetyPercentIsConvergedEvenAfterABounce() {
        assertThat(firings("cross-entropy", 600, PlateauDetectorTest::convergedThenBouncing)).doesNotContainKey(
                DetectorName.PLATEAU.id());
        // without the rule (a probability of 1 is never reached) the bounce is reported as a plateau
        RunMonitor without = new RunMonitor(TestConfig.with(Map.of(
                "trainwatch.monitor.plateau.converged-probability", "1.0")));
        assertThat(firings(without, "cross-entropy", 600, PlateauDetectorTest::convergedThenBouncing)).containsKey(
                DetectorName.PLATEAU.id());
    }

    @Test
    void theSameCurveOfAnotherLossIsAPlateauAboveFivePercentOfItsStart() {
        // exp(-loss) means nothing for a mean squared error: only converged-fraction (5 % of the start) applies
        assertThat(firings("mse", 600, PlateauDetectorTest::convergedThenBouncing)).containsKey(DetectorName.PLATEAU.id());
        assertThat(firings(null, 600, PlateauDetectorTest::convergedThenBouncing)).containsKey(DetectorName.PLATEAU.id());
    }

    @Test
    void aCrossEntropyLevellingOffMediocreIsAPlateau() {
        // falls from ln 3 to 0.4 (exp(-0.4) = 0.67) by step 150 and stays there
        Map<String, Long> first = firings("cross-entropy", 600,
                t -> t < 150 ? 1.1 - 0.7 * t / 150.0 : 0.4);
        assertThat(first).containsKey(DetectorName.PLATEAU.id());
        assertThat(first.get(DetectorName.PLATEAU.id())).isBetween(250L, 350L);
    }

    @Test
    void aShortRunNeverFires() {
        assertThat(firings("cross-entropy", 49, t -> t < 20 ? 1.1 - 0.03 * t : 0.5)).isEmpty();
    }

    @Test
    void convergedReadsTheLowestSmoothedLossAndNonFiniteOrNegativeOnesNever() {
        RunState s = new RunState("r");
        s.crossEntropy = true;
        s.startLoss = 1.1;
        s.ema = 0.3;
        s.minEma = 0.1;
        assertThat(plateau.converged(s)).isTrue(); // exp(-0.1) = 0.905
        s.minEma = 0.11;
        assertThat(plateau.converged(s)).isFalse(); // exp(-0.11) = 0.896
        s.minEma = Double.NaN;
        assertThat(plateau.converged(s)).isFalse();
        s.minEma = Double.POSITIVE_INFINITY;
        assertThat(plateau.converged(s)).isFalse();
        s.minEma = -0.5; // a loss below 0 is no cross-entropy: no probability
        assertThat(plateau.converged(s)).isFalse();
        s.minEma = 0.5;
        s.ema = 0.05; // under 5 % of the start, as before
        assertThat(plateau.converged(s)).isTrue();
        s.crossEntropy = false;
        s.ema = 0.3;
        s.minEma = 0.01;
        assertThat(plateau.converged(s)).isFalse();
    }
}
