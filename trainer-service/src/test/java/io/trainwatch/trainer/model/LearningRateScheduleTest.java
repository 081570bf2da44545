package io.trainwatch.trainer.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.ISchedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

/** The rates each schedule prescribes at given steps, and the same values through DL4J's {@link ISchedule}. */
class LearningRateScheduleTest {

    private static void relative(double actual, double expected) {
        assertThat(Math.abs(actual - expected) / expected).as(actual + " vs " + expected).isLessThanOrEqualTo(1e-12);
    }

    @Test
    void constantIgnoresTheStep() {
        LearningRateSchedule c = LearningRateSchedule.constant();
        assertThat(c.rateAt(0, 0.01)).isEqualTo(0.01);
        assertThat(c.rateAt(1_000_000, 0.01)).isEqualTo(0.01);
    }

    @Test
    void stepDecayMultipliesByTheFactorEveryNSteps() {
        LearningRateSchedule s = LearningRateSchedule.step(100, 0.5);
        assertThat(s.rateAt(0, 0.1)).isEqualTo(0.1);
        assertThat(s.rateAt(99, 0.1)).isEqualTo(0.1);
        relative(s.rateAt(100, 0.1), 0.05);
        relative(s.rateAt(199, 0.1), 0.05);
        relative(s.rateAt(200, 0.1), 0.025);
        relative(s.rateAt(1050, 0.1), 0.1 / 1024);
        assertThat(LearningRateSchedule.step(1, 1.0).rateAt(500, 0.3)).isEqualTo(0.3);
        assertThat(s.rateAt(-5, 0.1)).isEqualTo(0.1);
    }

    @Test
    void exponentialIsLr0TimesGammaToTheStep() {
        LearningRateSchedule e = LearningRateSchedule.exponential(0.99);
        assertThat(e.rateAt(0, 0.01)).isEqualTo(0.01);
        relative(e.rateAt(1, 0.01), 0.0099);
        relative(e.rateAt(100, 0.01), 0.01 * Math.exp(100 * Math.log(0.99)));
        assertThat(e.rateAt(100_000, 0.01)).isGreaterThanOrEqualTo(0).isLessThan(1e-300);
    }

    @Test
    void rangeRampsGeometricallyFromToAndThenStays() {
        LearningRateSchedule r = LearningRateSchedule.range(1e-6, 10, 200);
        assertThat(r.rateAt(0, 123)).isEqualTo(1e-6);
        relative(r.rateAt(199, 123), 10);
        relative(r.rateAt(200, 123), 10);
        relative(r.rateAt(5_000, 123), 10);
        // geometric: equal ratios per step, 7 decades over 199 steps
        double ratio = Math.pow(1e7, 1.0 / 199);
        for (int t = 1; t < 199; t++) {
            assertThat(r.rateAt(t, 123) / r.rateAt(t - 1, 123)).isCloseTo(ratio, within(1e-9));
        }
        relative(r.rateAt(99, 123), 1e-6 * Math.pow(1e7, 99.0 / 199));
        // the midpoint of 3 steps is the geometric mean
        relative(LearningRateSchedule.range(1e-4, 1, 3).rateAt(1, 0), 1e-2);
        LearningRateSchedule two = LearningRateSchedule.range(0.001, 0.1, 2);
        assertThat(two.rateAt(0, 0)).isEqualTo(0.001);
        assertThat(two.rateAt(1, 0)).isEqualTo(0.1);
    }

    @Test
    void dl4jEvaluatesTheSameValuesAndCopiesThem() {
        for (LearningRateSchedule s : new LearningRateSchedule[]{LearningRateSchedule.step(7, 0.3),
                LearningRateSchedule.exponential(0.95), LearningRateSchedule.range(1e-5, 1, 50)}) {
            ISchedule d = Dl4jSchedule.of(s, 0.02);
            for (int t : new int[]{0, 1, 6, 7, 13, 14, 49, 50, 1000}) {
                assertThat(d.valueAt(t, 3)).as(s + " at " + t).isEqualTo(s.rateAt(t, 0.02));
            }
            assertThat(d.clone()).isEqualTo(d).isNotSameAs(d);
            assertThat(((Dl4jSchedule) d).schedule()).isEqualTo(s);
        }
        assertThat(Dl4jSchedule.of(LearningRateSchedule.range(1e-5, 1, 50), 0.02).valueAt(49, 0))
                .isCloseTo(1.0, withinPercentage(1e-10));
    }
}
