package io.trainwatch.monitor.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.trainwatch.events.Contract;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.TestConfig;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class OverfittingDetectorTest {

    private final OverfittingDetector detector = new OverfittingDetector(TestConfig.defaults().overfitting());

    private static ValidationEvent v(long step, double trainLoss, double valLoss) {
        return new ValidationEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH.plusSeconds(step), null, null, step, 0,
                trainLoss, null, valLoss, null);
    }

    private static ValidationEvent v(long step, double trainLoss, double valLoss, Double trainAcc, Double valAcc) {
        return new ValidationEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH.plusSeconds(step), null, null, step, 0,
                trainLoss, trainAcc, valLoss, valAcc);
    }

    /** A validation loss falling to 0.45, then rising 10-50 % above it for four validations. */
    private static final double[] RISE = {1.0, 0.8, 0.6, 0.5, 0.45, 0.5, 0.56, 0.62, 0.68};

    /** Feeds the validation losses with a falling training loss and these accuracies; the last condition. */
    private Condition feedWithAccuracies(RunState s, Double trainAcc, Double valAcc, double... valLosses) {
        Condition c = Condition.UNCHANGED;
        for (int i = 0; i < valLosses.length; i++) {
            c = detector.onValidation(s, v(25L * (i + 1), 1.0 / (i + 1), valLosses[i], trainAcc, valAcc));
        }
        return c;
    }

    /** Feeds the validation losses with a falling training loss; the last condition. */
    private Condition feed(RunState s, double... valLosses) {
        Condition c = Condition.UNCHANGED;
        for (int i = 0; i < valLosses.length; i++) {
            c = detector.onValidation(s, v(25L * (i + 1), 1.0 / (i + 1), valLosses[i]));
        }
        return c;
    }

    @Test
    void aSteadyRiseFarAboveTheNoiseIsOverfitting() {
        RunState s = new RunState("r");
        Condition c = feed(s, 1.0, 0.8, 0.6, 0.5, 0.45, 0.5, 0.56, 0.62, 0.68);
        assertThat(c.isHolding()).isTrue();
        assertThat(c.summary()).contains("% above its minimum 0.45").doesNotContain("Infinity");
        assertThat(c.evidence()).containsKey("validationLossNoise");
    }

    @Test
    void aValidationLossRiseWhileTheAccuraciesAgreeIsNoGeneralisationGap() {
        // tfjs healthy-long-s4's shape: the validation loss triples from a low minimum while train and validation
        // accuracy stay within 0.01 of each other (0.993 / 0.983): a few examples' confidence, not a gap.
        RunState agree = new RunState("r");
        assertThat(feedWithAccuracies(agree, 0.993, 0.983, RISE).isHolding()).isFalse();
        assertThat(agree.validationRiseRun).isGreaterThanOrEqualTo(3);
        // the same losses beyond AUTOTRAINER's gap, 0.07 with train accuracy above 0.9, else 0.1, are overfitting
        assertThat(feedWithAccuracies(new RunState("r"), 0.99, 0.91, RISE).isHolding()).isTrue();
        assertThat(feedWithAccuracies(new RunState("r"), 0.85, 0.74, RISE).isHolding()).isTrue();
        assertThat(feedWithAccuracies(new RunState("r"), 0.85, 0.76, RISE).isHolding()).isFalse();
    }

    @Test
    void withoutFiniteAccuraciesTheValidationLossAloneDecides() {
        assertThat(feedWithAccuracies(new RunState("r"), null, null, RISE).isHolding()).isTrue();
        assertThat(feedWithAccuracies(new RunState("r"), Double.NaN, 0.9, RISE).isHolding()).isTrue();
        assertThat(feedWithAccuracies(new RunState("r"), 0.99, Double.POSITIVE_INFINITY, RISE).isHolding()).isTrue();
    }

    @Test
    void aNearZeroLossBouncingInItsNoiseIsNotOverfitting() {
        // tfjs healthy-spirals-s1's shape: 0.016-0.05, rises of 20-200 % that are noise, not a trend.
        RunState s = new RunState("r");
        Condition c = feed(s, 0.57, 0.29, 0.14, 0.1, 0.074, 0.068, 0.063, 0.051, 0.035, 0.039, 0.033, 0.037, 0.056,
                0.023, 0.033, 0.023, 0.030, 0.026, 0.016, 0.048, 0.036, 0.030, 0.020, 0.019);
        assertThat(c.isHolding()).isFalse();
        assertThat(s.validationNoise).isPositive();
    }

    @Test
    void noRelativeRiseAgainstAMinimumOfZero() {
        // float32 cross-entropy is exactly 0 on an all-correct set (tfjs badinit-huge-s1).
        RunState s = new RunState("r");
        Condition c = feed(s, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 226, 66, 13.8, 10, 12);
        assertThat(c.isHolding()).isFalse();
        assertThat(s.minValidationLoss).isZero();
    }

    @Test
    void aNegativeMinimumNeverCountsAsARelativeRise() {
        RunState s = new RunState("r");
        assertThat(feed(s, -1.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0).isHolding()).isFalse();
    }

    @Test
    void nanAndInfinityValidationLossesAreSkippedAndLeaveTheNoiseFinite() {
        RunState s = new RunState("r");
        Condition c = feed(s, 1.0, Double.NaN, 0.8, Double.POSITIVE_INFINITY, 0.6, Double.NEGATIVE_INFINITY, 0.5,
                0.52, Double.NaN, 0.51, 0.53);
        assertThat(c.isHolding()).isFalse();
        assertThat(s.minValidationLoss).isEqualTo(0.5);
        assertThat(s.validationNoise).isFinite().isPositive();
    }
}
