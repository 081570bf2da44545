package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link PlateauReaction}: decay with cooldown and floor, stop after decays without improvement, and no decay while validation still improves. */
class PlateauReactionTest extends ReactionFixture {

    @Test
    void plateauDecaysByTheFactor() {
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isCloseTo(0.01, within(1e-12));
        assertThat(trial.plateau.decays).isEqualTo(1);
        assertThat(trial.plateau.lastDecayStep).isEqualTo(100);
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
        assertThat(trial.plateau.decaysWithoutImprovement).isZero();
    }

    @Test
    void plateauAtTheFloorStops() {
        study.space.put("learningRate", ParamSpec.logUniform(1e-8, 1));
        trial.learningRate = 1e-6;
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.detail()).contains("floor");
    }

    @Test
    void plateauDecayIsClampedToTheFloor() {
        study.space.put("learningRate", ParamSpec.logUniform(1e-8, 1));
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
        assertThat(trial.plateau.decays).isZero();
        assertThat(trial.plateau.lastDecayStep).isNull();
        assertThat(trial.plateau.deferredPlateauAlertId).isEqualTo(Alert.fingerprint("s-t000", "plateau", 418));
        assertThat(trial.plateau.deferredPlateauStep).isEqualTo(418);
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
        assertThat(trial.plateau.lastDecayStep).isEqualTo(300);
        assertThat(trial.plateau.deferredPlateauAlertId).isNull();
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
        assertThat(trial.plateau.validations).isEqualTo(1);
        validations(0.6, 0.55, 0.5, 0.45);
        assertThat(trial.plateau.deltaBest).isEqualTo(0.6);
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
        assertThat(trial.plateau.decays).isEqualTo(1);
        assertThat(trial.plateau.decaysWithoutImprovement).isZero();
    }

    @Test
    void aNewPlateauAlertReplacesTheDeferredOneAndClearingForgetsIt() {
        validations(0.5, 0.6);
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        policy.react(alert("s-t000", "plateau", 140), trial, study);
        assertThat(trial.plateau.deferredPlateauStep).isEqualTo(140);
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

    @Test
    void aDecayThatWouldCrossTheStudysFloorGoesToTheFloor() {
        // the preflight's range test (or a narrowing) left the rate's range at [0.01, 0.3]
        study.space.put("learningRate", ParamSpec.logUniform(0.01, 0.3));
        trial.learningRate = 0.0108;
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isEqualTo(0.01);
        assertThat(r.detail()).contains("0.01080 -> 0.01000").contains("would cross the floor of the study's current range");
        assertThat(trial.learningRate).isEqualTo(0.01);
        assertThat(trial.plateau.decays).isEqualTo(1);
    }

    @Test
    void aRateTheStudyFixesSetsNoFloorAndThePlateauDecays() {
        // the user fixed the rate ([0.03, 0.03]): that says nothing about lower rates, so the plateau decays
        study.space.put("learningRate", ParamSpec.logUniform(0.03, 0.03));
        trial.learningRate = 0.03;
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isCloseTo(0.003, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void aRateAtTheStudysFloorIsKeptWithTheReasonAndThatIsNoDecay() {
        study.space.put("learningRate", ParamSpec.logUniform(0.01, 0.3));
        trial.learningRate = 0.01;
        trial.best = 0.5;
        for (long step : new long[]{100, 200, 300, 400}) {
            Reaction r = policy.react(alert("s-t000", "plateau", step), trial, study);
            assertThat(r.action()).as("step %d", step).isEqualTo(Decision.IGNORE);
            assertThat(r.detail()).startsWith("no decay: the learning rate 0.01000 is at the floor of the study's "
                    + "current range (0.01000)").endsWith("rate kept");
        }
        assertThat(trial.learningRate).isEqualTo(0.01);
        assertThat(trial.plateau.decays).isZero();
        assertThat(trial.plateau.decaysWithoutImprovement).isZero();
    }

    @Test
    void theRunsOwnFloorStillHoldsAboveTheStudys() {
        // a run's control.minLearningRate above the study's floor: today's clamp, then the stop at that floor
        trial.plateau.minLearningRate = 0.05;
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.learningRate()).isEqualTo(0.05);
        Reaction atFloor = policy.react(alert("s-t000", "plateau", 200), trial, study);
        assertThat(atFloor.action()).isEqualTo(Decision.STOP);
        assertThat(atFloor.detail()).contains("at its floor");
    }

    @Test
    void aStudyFloorBelowTheDecayChangesNothing() {
        study.space.put("learningRate", ParamSpec.logUniform(1e-3, 1));
        Reaction r = policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(r.learningRate()).isCloseTo(0.01, within(1e-12));
        assertThat(r.detail()).isEqualTo("learning rate 0.1000 -> 0.01000 (x0.1, decay 1)");
    }

    @Test
    void aPlateauThatAsksToRaiseTheRateIsNeverADecayButARaise() {
        validations(0.5, 0.6);
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        assertThat(trial.plateau.deferredPlateauAlertId).isNotNull();
        Alert raise = new Alert(1, "a-raise", Alert.FIRING, "s-t000", null, null, "plateau", Alert.INFO, 200, 0,
                Fixtures.T0, "plateau: updates too small", Map.of("learningRate", 0.1, "smoothedUpdateRatio", 2e-5),
                null, Alert.ACTION_RAISE_LR);
        Reaction r = policy.react(raise, trial, study);
        assertThat(r.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isCloseTo(0.3, within(1e-12));
        assertThat(r.detail()).startsWith("no decay: the monitor suggests raising the learning rate")
                .contains("update ratio 2.00e-05").endsWith("learning rate 0.1000 -> 0.3000 (x3.000, raise 1 of at most 2)");
        assertThat(trial.learningRate).isCloseTo(0.3, within(1e-12));
        assertThat(trial.plateau.decays).isZero();
        assertThat(trial.plateau.raises).isEqualTo(1);
        assertThat(trial.plateau.deferredPlateauAlertId).as("the older deferred decay is dropped too").isNull();
        Alert decay = new Alert(1, "a-decay", Alert.FIRING, "s-t000", null, null, "plateau", Alert.INFO, 300, 0,
                Fixtures.T0, "plateau", Map.of(), null, Alert.ACTION_DECAY_LR);
        validations(0.6, 0.6, 0.6);
        assertThat(policy.react(decay, trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
    }

    @Test
    void aPlateauThatAsksToRaiseARateAtTheCeilingKeepsIt() {
        study.space.put("learningRate", ParamSpec.logUniform(1e-4, 0.1));
        Alert raise = new Alert(1, "a-raise", Alert.FIRING, "s-t000", null, null, "plateau", Alert.INFO, 200, 0,
                Fixtures.T0, "plateau: updates too small", Map.of("smoothedUpdateRatio", 2e-5), null, Alert.ACTION_RAISE_LR);
        Reaction r = policy.react(raise, trial, study);
        assertThat(r.action()).isEqualTo(Decision.IGNORE);
        assertThat(r.detail()).startsWith("no decay: the monitor suggests raising the learning rate")
                .contains("no raise either: the rate 0.1000 is at the ceiling of the study's current range (0.1000)")
                .endsWith("rate 0.1000 kept");
        assertThat(trial.learningRate).isEqualTo(0.1);
        assertThat(trial.plateau.raises).isZero();
    }
}
