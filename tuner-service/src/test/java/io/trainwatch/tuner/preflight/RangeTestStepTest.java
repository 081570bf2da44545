package io.trainwatch.tuner.preflight;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RangeTestStepTest {

    static RangeTestStep running(double from, double to, long steps, double smoothing) {
        RangeTestStep s = new RangeTestStep();
        s.status = PreflightState.RUNNING;
        s.from = from;
        s.to = to;
        s.maxSteps = steps;
        s.smoothing = smoothing;
        return s;
    }

    /** A model that learns around 1e-3 (logistic in log-rate), flat to 0.3, then blows up. */
    static double curve(double r) {
        return 0.1 + 1.0 / (1 + Math.pow(r / 1e-3, 2)) + (r > 0.3 ? 10 * Math.pow(r / 0.3 - 1, 2) : 0);
    }

    @Test
    void theRampIsGeometricAndHeldAtItsEnd() {
        RangeTestStep s = running(1e-6, 10, 200, 0.9);
        assertThat(s.rateAt(0)).isCloseTo(1e-6, within(1e-18));
        assertThat(s.rateAt(199)).isCloseTo(10, within(1e-9));
        assertThat(s.rateAt(500)).isCloseTo(10, within(1e-9));
        assertThat(Math.log10(s.rateAt(100)) - Math.log10(s.rateAt(99))).isCloseTo(7.0 / 199, within(1e-9));
    }

    @Test
    void theSmoothedLossIsBiasCorrected() {
        RangeTestStep s = running(1e-6, 10, 200, 0.9);
        s.onStep(0, null, 2.0);
        assertThat(s.lastSmoothed).isCloseTo(2.0, within(1e-12));
        s.onStep(1, null, 1.0);
        assertThat(s.lastSmoothed).isCloseTo((0.09 * 2.0 + 0.1 * 1.0) / 0.19, within(1e-12));
        assertThat(s.points).hasSize(2);
        assertThat(s.points.get(0)[0]).isCloseTo(1e-6, within(1e-18));
    }

    @Test
    void aHealthyCurveDivergesAtTheEndAndTheRangeSitsAroundTheSteepestDescentBelowTheMinimum() {
        RangeTestStep s = running(1e-6, 10, 200, 0.9);
        RangeTestStep.Outcome out = RangeTestStep.Outcome.CONTINUE;
        long step = 0;
        while (out == RangeTestStep.Outcome.CONTINUE) {
            out = s.onStep(step, s.rateAt(step), curve(s.rateAt(step)));
            step++;
        }
        assertThat(out).isEqualTo(RangeTestStep.Outcome.DIVERGED);
        assertThat(s.lastRate).isBetween(0.3, 10.0);
        assertThat(s.lastSmoothed).isGreaterThan(4 * s.minLoss);
        s.conclude(null);
        assertThat(s.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.steepestRate).isBetween(1e-3, 4e-3);
        assertThat(s.range[0]).isCloseTo(s.steepestRate / 10, within(1e-12));
        assertThat(s.range[0]).isLessThan(1e-3);
        assertThat(s.range[1]).isGreaterThan(1e-3).isLessThanOrEqualTo(s.minLossRate / 3);
        assertThat(s.detail).contains("steepest descent").contains("exceeded 4x its minimum");
    }

    @Test
    void nanEndsTheTestAtOnceAndIsNeverAPoint() {
        RangeTestStep s = running(1e-6, 10, 200, 0.9);
        for (int i = 0; i < 10; i++) {
            s.onStep(i, null, 1.0);
        }
        assertThat(s.onStep(10, null, Double.NaN)).isEqualTo(RangeTestStep.Outcome.DIVERGED);
        assertThat(s.points).hasSize(10).allSatisfy(p -> assertThat(Double.isFinite(p[1])).isTrue());
        assertThat(s.ended).contains("not finite");
        RangeTestStep t = running(1e-6, 10, 200, 0.9);
        assertThat(t.onStep(0, null, Double.POSITIVE_INFINITY)).isEqualTo(RangeTestStep.Outcome.DIVERGED);
        t.conclude(null);
        assertThat(t.status).isEqualTo(PreflightState.FAILED);
        assertThat(t.detail).contains("too few points").contains("requested learning-rate range is kept");
    }

    @Test
    void hugeFiniteLossesThatOverflowTheAverageDiverge() {
        RangeTestStep s = running(1e-6, 10, 200, 0.5);
        s.onStep(0, null, 1.0);
        assertThat(s.onStep(1, null, Double.MAX_VALUE)).isEqualTo(RangeTestStep.Outcome.DIVERGED);
    }

    @Test
    void duplicatesAndOlderStepsAreIgnoredAndAMissingRateComesFromTheRamp() {
        RangeTestStep s = running(1e-4, 1, 100, 0.9);
        s.onStep(0, null, 1.0);
        s.onStep(5, Double.NaN, 1.0);
        assertThat(s.lastRate).isCloseTo(s.rateAt(5), within(1e-15));
        assertThat(s.onStep(5, 1e-3, 100.0)).isEqualTo(RangeTestStep.Outcome.IGNORED);
        assertThat(s.onStep(3, 1e-3, 100.0)).isEqualTo(RangeTestStep.Outcome.IGNORED);
        assertThat(s.n).isEqualTo(2);
    }

    @Test
    void theRampEndingWithoutDivergenceStillConcludes() {
        RangeTestStep s = running(1e-5, 1e-2, 50, 0.9);
        RangeTestStep.Outcome out = null;
        for (int i = 0; i < 50; i++) {
            out = s.onStep(i, s.rateAt(i), curve(s.rateAt(i)));
        }
        assertThat(out).isEqualTo(RangeTestStep.Outcome.RAMP_DONE);
        s.conclude(null);
        assertThat(s.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.detail).contains("without diverging");
    }

    @Test
    void longRampsAreDecimatedToTheCapKeepingTheOrder() {
        RangeTestStep s = running(1e-6, 10, 5000, 0.98);
        for (int i = 0; i < 5000; i++) {
            s.onStep(i, null, 1.0 + 1e-4 * i);
        }
        assertThat(s.points.size()).isLessThanOrEqualTo(RangeTestStep.MAX_POINTS).isGreaterThan(RangeTestStep.MAX_POINTS / 4);
        assertThat(s.points.get(0)[0]).isCloseTo(1e-6, within(1e-18));
        for (int i = 1; i < s.points.size(); i++) {
            assertThat(s.points.get(i)[0]).isGreaterThan(s.points.get(i - 1)[0]);
        }
        assertThat(s.points.get(s.points.size() - 1)[0]).isGreaterThan(1);
    }

    @Test
    void aFlatCurveFindsNoRange() {
        RangeTestStep s = running(1e-6, 10, 200, 0.9);
        for (int i = 0; i < 200; i++) {
            s.onStep(i, null, 1.6 + 0.01 * Math.sin(i));
        }
        s.conclude(null);
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.range).isNull();
        assertThat(s.detail).contains("never fell by 10 %");
    }

    // ---------------------------------------------------------------- the picking rule on exact curves

    static List<double[]> grid(double fromExp, double toExp, int n, java.util.function.DoubleUnaryOperator f) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double r = Math.pow(10, fromExp + (toExp - fromExp) * i / (n - 1));
            pts.add(new double[]{r, f.applyAsDouble(r)});
        }
        return pts;
    }

    @Test
    void theSteepestPointOfALogisticDescentIsItsCentre() {
        // 0.1 + 1/(1 + (r/r0)^2) falls fastest (per decade) at r = r0 = 1e-3; minimum at the end of the flat part.
        List<double[]> pts = grid(-6, 0, 61, r -> 0.1 + 1.0 / (1 + Math.pow(r / 1e-3, 2)) + (r > 0.1 ? (r - 0.1) : 0));
        RangePicker.Choice c = RangePicker.pick(pts, null);
        assertThat(c.steepestRate()).isCloseTo(1e-3, within(1e-12));
        assertThat(c.range()[0]).isCloseTo(1e-4, within(1e-15));
        assertThat(c.range()[1]).isCloseTo(1e-2, within(1e-12));
        assertThat(c.minLossRate()).isBetween(0.05, 0.2);
    }

    @Test
    void theUpperBoundStaysAFactorThreeBelowANearMinimumButNeverUnderTheSteepestRate() {
        // Minimum at 1e-2, steepest at 1e-3: hi = min(1e-2, 1e-2 / 3).
        List<double[]> pts = grid(-6, 0, 61, r -> 0.1 + 1.0 / (1 + Math.pow(r / 1e-3, 2)) + (r > 1e-2 ? 5 * (r - 1e-2) : 0));
        RangePicker.Choice c = RangePicker.pick(pts, null);
        assertThat(c.minLossRate()).isCloseTo(1e-2, within(1e-9));
        assertThat(c.range()[1]).isCloseTo(1e-2 / 3, within(1e-9));
        // A cliff right after the steepest point: the range ends at the steepest rate.
        List<double[]> cliff = grid(-6, 0, 61, r -> r <= 1e-3 ? 2 - Math.log10(r / 1e-6) * 0.3 : 10);
        RangePicker.Choice d = RangePicker.pick(cliff, null);
        assertThat(d.range()[1]).isGreaterThanOrEqualTo(d.steepestRate());
        assertThat(d.range()[0]).isLessThan(d.range()[1]);
        assertThat(d.range()[1]).isLessThanOrEqualTo(d.minLossRate());
    }

    @Test
    void theLowerBoundNeverLeavesTheTestedRates() {
        List<double[]> pts = grid(-3, 0, 31, r -> 2.0 - 0.5 * Math.log10(r / 1e-3));
        RangePicker.Choice c = RangePicker.pick(pts, null);
        assertThat(c.range()[0]).isGreaterThanOrEqualTo(1e-3);
        assertThat(c.range()[1]).isGreaterThan(c.range()[0]);
    }

    @Test
    void risingFromTheStartTooFewPointsOrNothingFindNoRange() {
        assertThat(RangePicker.pick(grid(-6, 1, 50, r -> 1 + r), null).range()).isNull();
        assertThat(RangePicker.pick(grid(-6, 1, 4, r -> 1 / (1 + r)), null).range()).isNull();
        assertThat(RangePicker.pick(List.of(), null).range()).isNull();
        assertThat(RangePicker.pick(null, null).detail()).contains("too few points (0)");
    }
}
