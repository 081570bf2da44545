package io.trainwatch.tuner.preflight;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class InitialLossStepTest {

    static InitialLossStep running() {
        InitialLossStep s = new InitialLossStep();
        s.status = PreflightState.RUNNING;
        s.maxSteps = 5;
        return s;
    }

    @Test
    void aFirstLossNearLnCPassesAtStepZero() {
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 3);
        assertThat(s.expected).isCloseTo(Math.log(3), within(1e-12));
        assertThat(s.onStep(0, 1.12)).isTrue();
        s.decide();
        assertThat(s.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.firstLoss).isEqualTo(1.12);
        assertThat(s.cause).isNull();
        assertThat(s.detail).contains("first loss 1.120").contains("ln(3) = 1.099");
    }

    @Test
    void dl4jNamesOfTheLossAreUnderstood() {
        InitialLossStep s = running();
        s.onRunStarted("MCXENT", 5);
        assertThat(s.expected).isCloseTo(Math.log(5), within(1e-12));
    }

    @Test
    void farAboveLnCIsTheInitialisationScale() {
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 5);
        s.onStep(0, 21.3);
        s.decide();
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.cause).isEqualTo(InitialLossStep.CAUSE_INIT_SCALE);
        assertThat(s.detail).contains("initial weights are too large").contains("x13.23");
    }

    @Test
    void farBelowLnCIsLabelsOrLoss() {
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 10);
        s.onStep(0, 0.05);
        s.decide();
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.cause).isEqualTo(InitialLossStep.CAUSE_LABELS_OR_LOSS);
        assertThat(s.detail).contains("labels");
    }

    @Test
    void theToleranceIsAFactorEitherWayAndItsEdgesPass() {
        double lnC = Math.log(4);
        for (double loss : new double[]{3 * lnC, lnC / 3, lnC}) {
            InitialLossStep s = running();
            s.onRunStarted("cross-entropy", 4);
            s.onStep(0, loss);
            s.decide();
            assertThat(s.status).as("loss " + loss).isEqualTo(PreflightState.PASSED);
        }
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 4);
        s.onStep(0, 3 * lnC * 1.001);
        s.decide();
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
    }

    @Test
    void nanAndInfinityAreNonFiniteNotACrash() {
        for (double loss : new double[]{Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            InitialLossStep s = running();
            s.onRunStarted("cross-entropy", 3);
            assertThat(s.onStep(0, loss)).isTrue();
            s.decide();
            assertThat(s.status).isEqualTo(PreflightState.FAILED);
            assertThat(s.cause).isEqualTo(InitialLossStep.CAUSE_NON_FINITE);
            assertThat(s.firstLoss).isNull();
        }
    }

    @Test
    void aMissingStepZeroIsDecidedAtTheEndFromTheEarliestStepAndSaysSo() {
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 3);
        assertThat(s.onStep(2, 1.0)).isFalse();
        assertThat(s.onStep(1, 1.05)).isFalse();
        assertThat(s.onStep(3, 9.0)).isFalse();
        s.trialEnded("completed", null);
        assertThat(s.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.firstStep).isEqualTo(1);
        assertThat(s.firstLoss).isEqualTo(1.05);
        assertThat(s.detail).contains("step 1: the earlier steps' events were lost");
    }

    @Test
    void duplicatesOfTheFirstStepChangeNothing() {
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 3);
        s.onStep(0, 1.1);
        assertThat(s.onStep(0, 50.0)).isFalse();
        assertThat(s.firstLoss).isEqualTo(1.1);
        s.decide();
        s.decide();
        assertThat(s.status).isEqualTo(PreflightState.PASSED);
    }

    @Test
    void anotherLossIsSkippedNotFailed() {
        InitialLossStep s = running();
        s.onRunStarted("mse", 3);
        s.onStep(0, 0.4);
        s.decide();
        assertThat(s.status).isEqualTo(PreflightState.SKIPPED);
        assertThat(s.detail).contains("mse");
    }

    @Test
    void noRunStartedMeansNoLnC() {
        InitialLossStep s = running();
        assertThat(s.onStep(0, 1.1)).isFalse();
        s.trialEnded("completed", null);
        assertThat(s.status).isEqualTo(PreflightState.SKIPPED);
        assertThat(s.detail).contains("no run-started");
    }

    @Test
    void aTrialThatFailsBeforeItsFirstStepNamesTheTrainersReason() {
        InitialLossStep s = running();
        s.trialEnded("failed", "hyperparameters.subsetBatches: unknown");
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.cause).isEqualTo(InitialLossStep.CAUSE_TRIAL_FAILED);
        assertThat(s.detail).contains("hyperparameters.subsetBatches");
    }

    @Test
    void noStepAtAllIsNoData() {
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 3);
        s.trialEnded("completed", null);
        assertThat(s.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.cause).isEqualTo(InitialLossStep.CAUSE_NO_DATA);
    }

    @Test
    void aDecidedStepIgnoresLaterInput() {
        InitialLossStep s = running();
        s.onRunStarted("cross-entropy", 3);
        s.onStep(0, 1.1);
        s.decide();
        s.trialEnded("failed", "late");
        assertThat(s.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.onStep(-1, 99)).isFalse();
    }
}
