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

    /**
     * The validation loss falls to {@code min} at the 5th validation, then rises steadily by {@code perValidation}
     * of it for {@code rising} validations; the training loss keeps falling; both accuracies as given.
     */
    private Condition sustained(RunState s, int rising, double perValidation, Double trainAcc, Double valAcc) {
        double min = 0.064;
        Condition c = Condition.UNCHANGED;
        int i = 0;
        for (double vl : new double[] {0.4, 0.2, 0.12, 0.08, min}) {
            c = detector.onValidation(s, v(50L * ++i, 0.3 / i, vl, trainAcc, valAcc));
        }
        for (int r = 1; r <= rising; r++) {
            c = detector.onValidation(s, v(50L * ++i, 0.3 / i / i, min * (1 + perValidation * r), trainAcc, valAcc));
        }
        return c;
    }

    @Test
    void aSustainedValidationLossRiseIsOverfittingWhateverTheAccuracyGap() {
        // a wide MLP on an easy table: train accuracy 1.0, validation 0.977 (gap 0.023), validation loss +28 %
        RunState s = new RunState("r");
        Condition c = sustained(s, 14, 0.02, 1.0, 0.977);
        assertThat(c.isHolding()).isTrue();
        assertThat(c.summary()).contains("kept rising for").contains("validations").contains("above its minimum 0.064")
                .contains("training loss fell from");
        assertThat(c.evidence()).containsKeys("riseStartValidationLoss", "riseStartTrainLoss", "minValidationStep",
                "validationsRising");
        // a flat validation accuracy (no gap at all) changes nothing
        assertThat(sustained(new RunState("r"), 14, 0.02, 0.95, 0.95).isHolding()).isTrue();
    }

    @Test
    void aRiseShorterThanTheSustainedPatienceWithAgreeingAccuraciesIsNotYetOverfitting() {
        int patience = TestConfig.defaults().overfitting().sustainedPatience();
        // the rise passes 10 % at its 5th validation: it needs the patience after that
        RunState s = new RunState("r");
        assertThat(sustained(s, 4 + patience - 1, 0.02, 1.0, 0.98).isHolding()).isFalse();
        assertThat(sustained(new RunState("r"), 4 + patience, 0.02, 1.0, 0.98).isHolding()).isTrue();
    }

    @Test
    void aBriefNoisyRiseOfAHealthyRunIsNotOverfitting() {
        // healthy: the validation loss bumps 15-25 % above its minimum for a few validations, then falls back
        RunState s = new RunState("r");
        double[] vals = {0.4, 0.2, 0.12, 0.08, 0.064, 0.075, 0.08, 0.074, 0.066, 0.062, 0.07, 0.075, 0.06, 0.065,
                0.071, 0.06, 0.058};
        Condition c = Condition.UNCHANGED;
        for (int i = 0; i < vals.length; i++) {
            c = detector.onValidation(s, v(50L * (i + 1), 0.3 / (i + 1), vals[i], 0.99, 0.98));
            assertThat(c.isHolding()).as("validation %d", i).isFalse();
        }
    }

    @Test
    void aRiseThatFallsBackBelowWhereItBeganIsNotSustained() {
        // risen 25-47 % for 8 validations, then back to 22 % above the minimum, under where the rise began
        double[] head = {0.4, 0.2, 0.12, 0.08, 0.064, 0.08, 0.082, 0.084, 0.086, 0.088, 0.09, 0.092, 0.094};
        RunState turned = new RunState("r");
        RunState kept = new RunState("r");
        Condition c = Condition.UNCHANGED;
        Condition control = Condition.UNCHANGED;
        for (int i = 0; i < head.length + 4; i++) {
            double trainLoss = 0.3 / (i + 1);
            c = detector.onValidation(turned, v(50L * (i + 1), trainLoss, i < head.length ? head[i] : 0.078, 1.0, 0.98));
            control = detector.onValidation(kept, v(50L * (i + 1), trainLoss,
                    i < head.length ? head[i] : 0.094 + 0.002 * (i - head.length + 1), 1.0, 0.98));
        }
        assertThat(control.isHolding()).isTrue();
        assertThat(c.isHolding()).isFalse();
    }

    @Test
    void aTrainingLossThatStoppedFallingIsNotSustainedOverfitting() {
        // both losses up together: the model is not fitting its training set better, that is not overfitting
        RunState s = new RunState("r");
        Condition c = Condition.UNCHANGED;
        double[] vals = {0.4, 0.2, 0.12, 0.08, 0.064};
        for (int i = 0; i < vals.length; i++) {
            c = detector.onValidation(s, v(50L * (i + 1), 0.05, vals[i], 1.0, 0.98));
        }
        for (int r = 1; r <= 20; r++) {
            c = detector.onValidation(s, v(250L + 50L * r, 0.05 * (1 + 0.02 * r), 0.064 * (1 + 0.02 * r), 1.0, 0.98));
        }
        assertThat(c.isHolding()).isFalse();
    }

    @Test
    void nanAndInfinityInASustainedRiseNeverHoldAndNeverThrow() {
        RunState s = new RunState("r");
        sustained(s, 8, 0.02, 1.0, 0.98);
        Condition c = detector.onValidation(s, v(2000, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
        assertThat(c.isHolding()).isFalse();
        c = detector.onValidation(s, v(2050, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 1.0, 0.98));
        assertThat(c.isHolding()).isFalse();
        assertThat(s.riseStartValidationLoss).isFinite();
        // a NaN training loss at the start of the rise
        RunState t = new RunState("r");
        double[] vals = {0.4, 0.2, 0.12, 0.08, 0.064};
        for (int i = 0; i < vals.length; i++) {
            detector.onValidation(t, v(50L * (i + 1), 0.3 / (i + 1), vals[i], 1.0, 0.98));
        }
        for (int r = 1; r <= 20; r++) {
            c = detector.onValidation(t, v(250L + 50L * r, r == 5 ? Double.NaN : 0.01 / r, 0.064 * (1 + 0.02 * r),
                    1.0, 0.98));
        }
        // a NaN training loss where the rise began: the rise's first finite one stands in for it
        assertThat(c.isHolding()).isTrue();
        assertThat(t.riseStartTrainLoss).isFinite();
    }
}
