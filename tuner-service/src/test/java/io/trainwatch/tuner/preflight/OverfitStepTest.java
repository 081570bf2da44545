package io.trainwatch.tuner.preflight;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OverfitStepTest {

    static OverfitStep running(int batches, long maxSteps) {
        OverfitStep s = new OverfitStep();
        s.status = PreflightState.RUNNING;
        s.batches = batches;
        s.maxSteps = maxSteps;
        return s;
    }

    @Test
    void passesWhenEveryBatchOfTheSubsetIsFitOnConsecutiveSteps() {
        OverfitStep s = running(5, 500);
        double[] acc = {0.3, 0.5, 0.9, 1.0, 1.0, 1.0, 0.97, 1.0, 1.0, 1.0, 1.0};
        for (int i = 0; i < acc.length; i++) {
            assertThat(s.onStep(i, acc[i])).as("step " + i).isFalse();
        }
        assertThat(s.onStep(11, 1.0)).isTrue();
        assertThat(s.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.stepsTo100).isEqualTo(12);
        assertThat(s.bestAccuracy).isEqualTo(1.0);
        assertThat(s.detail).contains("5 subset batches").contains("after 12 steps");
    }

    @Test
    void aMissingStepBreaksTheStreak() {
        OverfitStep s = running(3, 500);
        s.onStep(0, 1.0);
        s.onStep(1, 1.0);
        assertThat(s.onStep(3, 1.0)).isFalse();
        assertThat(s.streak).isEqualTo(1);
        s.onStep(4, 1.0);
        assertThat(s.onStep(5, 1.0)).isTrue();
        assertThat(s.stepsTo100).isEqualTo(6);
    }

    @Test
    void duplicatesAndOlderStepsAreIgnored() {
        OverfitStep s = running(3, 500);
        s.onStep(0, 1.0);
        s.onStep(1, 1.0);
        assertThat(s.onStep(1, 1.0)).isFalse();
        assertThat(s.onStep(0, 1.0)).isFalse();
        assertThat(s.streak).isEqualTo(2);
        assertThat(s.onStep(2, 1.0)).isTrue();
    }

    @Test
    void nanInfinityAndMissingAccuracyResetTheStreakAndNeverCountAsBest() {
        OverfitStep s = running(2, 500);
        s.onStep(0, 1.0);
        s.onStep(1, Double.NaN);
        assertThat(s.streak).isZero();
        s.onStep(2, 1.0);
        s.onStep(3, null);
        assertThat(s.streak).isZero();
        s.onStep(4, Double.POSITIVE_INFINITY);
        assertThat(s.streak).isZero();
        assertThat(s.bestAccuracy).isEqualTo(1.0);
        assertThat(s.status).isEqualTo(PreflightState.RUNNING);
    }

    @Test
    void failsAtTheCapNamingWhatWasTried() {
        OverfitStep s = running(5, 40);
        for (int i = 0; i < 39; i++) {
            assertThat(s.onStep(i, 0.5 + i * 0.005)).isFalse();
        }
        assertThat(s.onStep(39, 0.6)).isTrue();
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.detail).contains("could not fit 5 mini-batches").contains("best batch accuracy 0.6900")
                .contains("after 40 of 40 steps").contains("too little capacity");
        assertThat(s.stepsTo100).isNull();
    }

    @Test
    void aTrialThatEndsEarlyFailsWithWhatItReached() {
        OverfitStep s = running(5, 500);
        s.onStep(0, 0.4);
        s.onStep(1, 0.45);
        s.trialEnded("diverged", "loss NaN at step 2");
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.detail).contains("best batch accuracy 0.4500").contains("after 2 of 500").contains("diverged");
    }

    @Test
    void aTrialRefusedByTheTrainerSaysWhy() {
        OverfitStep s = running(5, 500);
        s.trialEnded("failed", "hyperparameters.subsetBatches: unknown");
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.detail).contains("subsetBatches").contains("tried 5 batches");
    }

    @Test
    void noAccuracyAtAllIsReported() {
        OverfitStep s = running(2, 3);
        s.onStep(0, null);
        s.onStep(1, null);
        s.onStep(2, null);
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.detail).contains("no batch accuracy was reported");
    }
}
