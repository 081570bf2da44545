package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AlertPolicyTest {

    final AlertPolicy policy = new AlertPolicy(PolicySettings.defaults());
    StudyState study;
    TrialState trial;

    @BeforeEach
    void setUp() {
        study = new StudyState();
        study.id = "s";
        study.spec = Fixtures.spec(10, 2, 100, 2);
        study.space = new LinkedHashMap<>(study.spec.space());
        trial = new TrialState();
        trial.trialId = "t000";
        trial.runId = "s-t000";
        trial.params = new LinkedHashMap<>(Map.of("learningRate", 0.1, "l2", 1e-5, "dropout", 0.1, "width", 16,
                "activation", "sigmoid", "weightInit", "normal"));
        trial.learningRate = 0.1;
    }

    @Test
    void plateauDecaysByTheFactor() {
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isCloseTo(0.01, within(1e-12));
        assertThat(trial.decays).isEqualTo(1);
        assertThat(trial.lastDecayStep).isEqualTo(100);
    }

    @Test
    void plateauInCooldownIsIgnored() {
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        Reaction r = policy.react(alert("s-t000", "plateau", 149), trial, study);
        assertThat(r.action()).isEqualTo(Decision.IGNORE);
        assertThat(r.detail()).contains("cooldown");
        assertThat(policy.react(alert("s-t000", "plateau", 150), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
    }

    @Test
    void plateauStopsAfterDecaysWithoutImprovement() {
        trial.best = 0.5;
        assertThat(policy.react(alert("s-t000", "plateau", 100), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(policy.react(alert("s-t000", "plateau", 200), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
        Reaction third = policy.react(alert("s-t000", "plateau", 300), trial, study);
        assertThat(third.action()).isEqualTo(Decision.STOP);
        assertThat(third.detail()).contains("2 learning-rate decays with no improvement");
    }

    @Test
    void improvementBetweenDecaysResetsTheCount() {
        trial.best = 0.5;
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        policy.react(alert("s-t000", "plateau", 200), trial, study);
        trial.best = 0.6;
        assertThat(policy.react(alert("s-t000", "plateau", 300), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(trial.decaysWithoutImprovement).isZero();
    }

    @Test
    void plateauAtTheFloorStops() {
        trial.learningRate = 1e-6;
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.detail()).contains("floor");
    }

    @Test
    void plateauDecayIsClampedToTheFloor() {
        trial.learningRate = 5e-6;
        assertThat(policy.react(alert("s-t000", "plateau", 100), trial, study).learningRate()).isEqualTo(1e-6);
    }

    @Test
    void plateauWithAnUnknownRateIsIgnoredUnlessTheAlertTellsIt() {
        trial.learningRate = null;
        trial.params.remove("learningRate");
        assertThat(policy.react(alert("s-t000", "plateau", 100), trial, study).action()).isEqualTo(Decision.IGNORE);
        Alert withRate = new Alert(1, "a1", Alert.FIRING, "s-t000", null, null, "plateau", Alert.WARNING, 100, 0,
                Fixtures.T0, "plateau", Map.of("learningRate", 0.02), null, null);
        assertThat(policy.react(withRate, trial, study).learningRate()).isCloseTo(0.002, within(1e-12));
    }

    @Test
    void decayedTooEarlyRaisesBackOnceAndWaitsLonger() {
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        Reaction up = policy.react(alert("s-t000", "lr-decayed-too-early", 120), trial, study);
        assertThat(up.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(up.learningRate()).isEqualTo(0.1);
        assertThat(trial.waitMultiplier).isEqualTo(2.0);
        assertThat(policy.react(alert("s-t000", "lr-decayed-too-early", 130), trial, study).action()).isEqualTo(Decision.IGNORE);
        // the cooldown is now 100 steps from the raise at 120
        assertThat(policy.react(alert("s-t000", "plateau", 200), trial, study).action()).isEqualTo(Decision.IGNORE);
        assertThat(policy.react(alert("s-t000", "plateau", 220), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
    }

    @Test
    void decayedTooEarlyWithNoKnownEarlierRateIsIgnored() {
        assertThat(policy.react(alert("s-t000", "lr-decayed-too-early", 50), trial, study).action()).isEqualTo(Decision.IGNORE);
    }

    @Test
    void divergenceStopsLowersTheCeilingAndProposesASmallerRate() {
        for (String detector : List.of("divergence", "exploding-gradients")) {
            Reaction r = policy.react(alert("s-t000", detector, 30), trial, study);
            assertThat(r.action()).isEqualTo(Decision.STOP);
            assertThat(r.adjustments()).singleElement().satisfies(a -> {
                assertThat(a.parameter()).isEqualTo("learningRate");
                assertThat(a.kind()).isEqualTo(Reaction.Adjustment.LOWER_CEILING);
                assertThat(a.value()).isCloseTo(0.05, within(1e-12));
            });
            assertThat((double) r.remedy().get("learningRate")).isCloseTo(0.01, within(1e-12));
        }
    }

    @Test
    void divergenceWithoutALearningRateInTheSpaceOnlyStops() {
        study.space.remove("learningRate");
        trial.params.remove("learningRate");
        Reaction r = policy.react(alert("s-t000", "divergence", 30), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.adjustments()).isEmpty();
        assertThat(r.remedy()).isNull();
    }

    @Test
    void vanishingFavoursReluAndHeXavier() {
        for (String detector : List.of("vanishing-gradients", "bad-initialization")) {
            Reaction r = policy.react(alert("s-t000", detector, 30), trial, study);
            assertThat(r.action()).isEqualTo(Decision.STOP);
            assertThat(r.adjustments()).extracting(Reaction.Adjustment::parameter).containsExactly("activation", "weightInit");
            assertThat(r.adjustments().get(0).favoured()).containsExactly("relu");
            assertThat(r.adjustments().get(1).favoured()).containsExactly("xavier", "relu");
            assertThat(r.remedy()).containsEntry("activation", "relu").containsEntry("weightInit", "relu");
        }
    }

    @Test
    void aVanishingRemedyAlsoComesBackUnderALearningRateCeilingTheStudyLearnedSinceTheTrialWasDrawn() {
        // Drawn at 11.15 while the range went up to 20; divergences since then lowered the ceiling to 0.5.
        trial.params.put("learningRate", 11.15);
        study.space.put("learningRate", ParamSpec.logUniform(1e-4, 0.5));
        Reaction r = policy.react(alert("s-t000", "vanishing-gradients", 30), trial, study);
        assertThat(r.remedy()).containsEntry("activation", "relu").containsEntry("learningRate", 0.5);
        assertThat(r.detail()).contains("learningRate 11.15 -> 0.5");
        // Inside the range: kept as it was.
        trial.params.put("learningRate", 0.2);
        assertThat(policy.react(alert("s-t000", "vanishing-gradients", 30), trial, study).remedy())
                .containsEntry("learningRate", 0.2);
    }

    @Test
    void vanishingWhereTheSpaceAllowsNothingOnlyStops() {
        study.space.put("activation", ParamSpec.categorical(List.of("sigmoid", "tanh")));
        study.space.remove("weightInit");
        Reaction r = policy.react(alert("s-t000", "vanishing-gradients", 30), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.adjustments()).isEmpty();
        assertThat(r.remedy()).isNull();
        assertThat(r.detail()).contains("no ReLU-family");
    }

    @Test
    void overfittingStopsRecordsTheBestPointAndFavoursRegularisation() {
        trial.best = 0.81;
        trial.bestStep = 400L;
        trial.bestEpoch = 4;
        Reaction r = policy.react(alert("s-t000", "overfitting", 900), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.detail()).contains("step 400").contains("epoch 4");
        assertThat(r.adjustments()).extracting(Reaction.Adjustment::kind).containsOnly(Reaction.Adjustment.RAISE_FLOOR);
        assertThat((double) r.remedy().get("l2")).isCloseTo(1e-4, within(1e-12));
        assertThat((double) r.remedy().get("dropout")).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void underfittingStopsTheTrialAndSteersTheSpace() {
        Reaction r = policy.react(alert("s-t000", "underfitting", 500), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.adjustments()).extracting(a -> a.parameter() + ":" + a.kind()).containsExactlyInAnyOrder(
                "width:raise-floor", "l2:lower-ceiling", "dropout:lower-ceiling");
    }

    @Test
    void underfittingOnlySteersTheSpaceWhenStoppingItIsOff() {
        PolicySettings d = PolicySettings.defaults();
        PolicySettings noStop = new PolicySettings(d.plateauFactor(), d.plateauCooldownSteps(), d.minLearningRate(),
                d.minImprovement(), d.maxDecaysWithoutImprovement(), d.tooEarlyWaitFactor(), d.divergenceCeilingFactor(),
                d.remedyLearningRateFactor(), d.overfitL2Factor(), d.overfitDropoutStep(), d.favourShare(),
                d.minRangeKeep(), false);
        Reaction r = new AlertPolicy(noStop).react(alert("s-t000", "underfitting", 500), trial, study);
        assertThat(r.action()).isEqualTo(Decision.ADJUST_SPACE);
        assertThat(r.adjustments()).extracting(a -> a.parameter() + ":" + a.kind()).containsExactlyInAnyOrder(
                "width:raise-floor", "l2:lower-ceiling", "dropout:lower-ceiling");
    }

    @Test
    void unknownDetectorsAreIgnored() {
        Reaction r = policy.react(alert("s-t000", "dead-relu", 500), trial, study);
        assertThat(r.action()).isEqualTo(Decision.IGNORE);
    }

    // ---------------------------------------------------------------- plateau: validation still improving

    private void validations(double... values) {
        for (double v : values) {
            policy.observeValidation(trial, study, v);
        }
    }

    @Test
    void aPlateauWhileValidationStillImprovesIsDeferredNotDecayed() {
        validations(0.50, 0.60, 0.70);
        Reaction r = policy.react(alert("s-t000", "plateau", 418), trial, study);
        assertThat(r.action()).isEqualTo(Decision.DEFERRED);
        assertThat(r.detail()).startsWith("deferred: validation still improving").contains("0.7");
        assertThat(r.learningRate()).isNull();
        assertThat(trial.learningRate).isEqualTo(0.1);
        assertThat(trial.decays).isZero();
        assertThat(trial.lastDecayStep).isNull();
        assertThat(trial.deferredPlateauAlertId).isEqualTo(Alert.fingerprint("s-t000", "plateau", 418));
        assertThat(trial.deferredPlateauStep).isEqualTo(418);
    }

    @Test
    void aDeferredPlateauWaitsWhileValidationImprovesThenDecaysOnceItStops() {
        validations(0.50, 0.60);
        assertThat(policy.react(alert("s-t000", "plateau", 100), trial, study).action()).isEqualTo(Decision.DEFERRED);
        validations(0.65);
        assertThat(policy.reconsider(trial, study, 150)).isNull();
        // patience 3: the rise at the 3rd validation still counts at the 4th and 5th, not at the 6th
        validations(0.65);
        assertThat(policy.reconsider(trial, study, 200)).isNull();
        validations(0.64);
        assertThat(policy.reconsider(trial, study, 250)).isNull();
        validations(0.65);
        Reaction r = policy.reconsider(trial, study, 300);
        assertThat(r).isNotNull();
        assertThat(r.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isCloseTo(0.01, within(1e-12));
        assertThat(r.detail()).contains("reconsidered at the validation of step 300").contains("plateau alert of step 100");
        assertThat(trial.lastDecayStep).isEqualTo(300);
        assertThat(trial.deferredPlateauAlertId).isNull();
        assertThat(policy.reconsider(trial, study, 350)).as("decided once").isNull();
    }

    @Test
    void aRiseSmallerThanTheMinDeltaIsNoImprovement() {
        validations(0.5, 0.5 + 5e-5, 0.5 + 9e-5);
        assertThat(policy.validationImproving(trial)).isFalse();
        assertThat(policy.react(alert("s-t000", "plateau", 100), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
    }

    @Test
    void withoutValidationsOrWithOnlyTheBaselineThePlateauDecaysAsBefore() {
        assertThat(policy.validationImproving(trial)).isFalse();
        validations(0.9);
        assertThat(policy.validationImproving(trial)).as("the first value is a baseline").isFalse();
        assertThat(policy.react(alert("s-t000", "plateau", 100), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
    }

    @Test
    void nonFiniteValidationsAreNotCountedAndAFallingObjectiveIsNotImproving() {
        validations(0.5, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY);
        assertThat(trial.validations).isEqualTo(1);
        validations(0.6, 0.55, 0.5, 0.45);
        assertThat(trial.deltaBest).isEqualTo(0.6);
        assertThat(policy.validationImproving(trial)).isFalse();
    }

    @Test
    void forAMinimisedLossImprovingMeansFalling() {
        study.spec = new io.trainwatch.tuner.study.StudySpec("test",
                io.trainwatch.tuner.study.Objective.MINIMIZE_VALIDATION_LOSS, study.spec.space(), study.spec.budget(),
                study.spec.dataset(), study.spec.model(), 7, true, true);
        validations(1.0, 1.2, 1.3);
        assertThat(policy.validationImproving(trial)).isFalse();
        validations(0.8);
        assertThat(policy.validationImproving(trial)).isTrue();
        assertThat(policy.react(alert("s-t000", "plateau", 100), trial, study).action()).isEqualTo(Decision.DEFERRED);
    }

    @Test
    void theCooldownStillComesFirstAndADeferralDoesNotCountAsADecayWithoutImprovement() {
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        validations(0.5, 0.6);
        assertThat(policy.react(alert("s-t000", "plateau", 120), trial, study).action()).isEqualTo(Decision.IGNORE);
        assertThat(policy.react(alert("s-t000", "plateau", 200), trial, study).action()).isEqualTo(Decision.DEFERRED);
        assertThat(trial.decays).isEqualTo(1);
        assertThat(trial.decaysWithoutImprovement).isZero();
    }

    @Test
    void aNewPlateauAlertReplacesTheDeferredOneAndClearingForgetsIt() {
        validations(0.5, 0.6);
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        policy.react(alert("s-t000", "plateau", 140), trial, study);
        assertThat(trial.deferredPlateauStep).isEqualTo(140);
        AlertPolicy.clearDeferred(trial);
        validations(0.6, 0.6, 0.6);
        assertThat(policy.reconsider(trial, study, 300)).isNull();
    }

    @Test
    void theDeferralCanBeSwitchedOffAndItsSettingsAreChecked() {
        PolicySettings d = PolicySettings.defaults();
        assertThat(d.deferWhileImproving()).isTrue();
        assertThat(d.validationPatience()).isEqualTo(3);
        assertThat(d.validationMinDelta()).isEqualTo(1e-4);
        PolicySettings off = new PolicySettings(d.plateauFactor(), d.plateauCooldownSteps(), d.minLearningRate(),
                d.minImprovement(), d.maxDecaysWithoutImprovement(), d.tooEarlyWaitFactor(), d.divergenceCeilingFactor(),
                d.remedyLearningRateFactor(), d.overfitL2Factor(), d.overfitDropoutStep(), d.favourShare(),
                d.minRangeKeep(), d.stopOnUnderfitting(), false, 3, 1e-4);
        AlertPolicy p = new AlertPolicy(off);
        p.observeValidation(trial, study, 0.5);
        p.observeValidation(trial, study, 0.7);
        assertThat(p.react(alert("s-t000", "plateau", 100), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PolicySettings(d.plateauFactor(),
                d.plateauCooldownSteps(), d.minLearningRate(), d.minImprovement(), d.maxDecaysWithoutImprovement(),
                d.tooEarlyWaitFactor(), d.divergenceCeilingFactor(), d.remedyLearningRateFactor(), d.overfitL2Factor(),
                d.overfitDropoutStep(), d.favourShare(), d.minRangeKeep(), true, true, 0, 1e-4))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PolicySettings(d.plateauFactor(),
                d.plateauCooldownSteps(), d.minLearningRate(), d.minImprovement(), d.maxDecaysWithoutImprovement(),
                d.tooEarlyWaitFactor(), d.divergenceCeilingFactor(), d.remedyLearningRateFactor(), d.overfitL2Factor(),
                d.overfitDropoutStep(), d.favourShare(), d.minRangeKeep(), true, true, 3, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
