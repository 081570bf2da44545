package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link RateRaise} through the reactions that use it: a rate the monitor finds too low ({@code raise-learning-rate})
 * is raised mid-trial x3, within the study's current range, at most twice and one cooldown apart, and its outcome
 * is told once.
 */
class RateRaiseTest extends ReactionFixture {

    private static Alert tooLow(String detector, long step) {
        return new Alert(1, detector + "-" + step, Alert.FIRING, "s-t000", "s", "t000", detector, Alert.WARNING, step, 0,
                Fixtures.T0, "updates too small", Map.of("smoothedUpdateRatio", 3e-5), null, Alert.ACTION_RAISE_LR);
    }

    @Test
    void atMostTwoRaisesOneCooldownApartThenUnderfittingStops() {
        trial.learningRate = 0.01;
        Reaction first = policy.react(tooLow("underfitting", 200), trial, study);
        assertThat(first.learningRate()).isCloseTo(0.03, within(1e-12));
        Reaction early = policy.react(tooLow("underfitting", 240), trial, study);
        assertThat(early.action()).as("within the cooldown: the raise is still acting").isEqualTo(Decision.IGNORE);
        assertThat(early.detail()).contains("the rate was raised at step 200 (40 of 50 steps ago): waiting for it to act");
        Reaction second = policy.react(tooLow("plateau", 250), trial, study);
        assertThat(second.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(second.learningRate()).isCloseTo(0.09, within(1e-12));
        Reaction third = policy.react(tooLow("underfitting", 400), trial, study);
        assertThat(third.action()).isEqualTo(Decision.STOP);
        assertThat(third.detail()).contains("no raise: the rate was raised 2 times already (at most 2)");
        assertThat(trial.plateau.raises).isEqualTo(2);
        assertThat(trial.learningRate).isCloseTo(0.09, within(1e-12));
    }

    @Test
    void aRaiseIsCappedAtTheStudysCeilingAndLiftedToItsFloor() {
        study.space.put("learningRate", ParamSpec.logUniform(1e-3, 0.2));
        Reaction capped = policy.react(tooLow("underfitting", 200), trial, study);
        assertThat(capped.learningRate()).isEqualTo(0.2);
        assertThat(capped.detail()).contains("0.1000 -> 0.2000 (capped at the ceiling of the study's current range");

        trial.plateau = new io.trainwatch.tuner.study.PlateauState();
        trial.learningRate = 1e-4;
        Reaction lifted = policy.react(tooLow("plateau", 500), trial, study);
        assertThat(lifted.learningRate()).as("x3 would stay under the study's floor").isEqualTo(1e-3);
        assertThat(lifted.detail()).contains("to the floor of the study's current range");
    }

    @Test
    void aRaiseMovesThePlateausCooldownSoThatNoDecayUndoesIt() {
        policy.react(tooLow("underfitting", 200), trial, study);
        Reaction plateau = policy.react(Fixtures.alert("s-t000", "plateau", 230), trial, study);
        assertThat(plateau.action()).isEqualTo(Decision.IGNORE);
        assertThat(plateau.detail()).contains("cooldown");
        assertThat(trial.learningRate).isCloseTo(0.3, within(1e-12));
    }

    @Test
    void aRunWithNoSpaceIsRaisedByTheFactorAlone() {
        // a steered run outside a study: the policy sees an empty space
        study.space = new LinkedHashMap<>();
        trial.params.clear();
        trial.learningRate = 2.0;
        Reaction r = policy.react(tooLow("underfitting", 200), trial, study);
        assertThat(r.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isCloseTo(6.0, within(1e-12));
        assertThat(r.adjustments()).isEmpty();
        assertThat(r.remedy()).isNull();
    }

    @Test
    void noRaisesAllowedKeepsTheReactionOfBefore() {
        PolicySettings d = PolicySettings.defaults();
        PolicySettings none = new PolicySettings(d.plateauFactor(), d.plateauCooldownSteps(), d.minLearningRate(),
                d.minImprovement(), d.maxDecaysWithoutImprovement(), d.tooEarlyWaitFactor(), d.divergenceCeilingFactor(),
                d.remedyLearningRateFactor(), d.overfitL2Factor(), d.overfitDropoutStep(), d.favourShare(),
                d.minRangeKeep(), true, true, 3, 1e-4, 3.0, 0, 0.5);
        Reaction r = new AlertPolicy(none).react(tooLow("underfitting", 200), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat((double) r.remedy().get("learningRate")).isCloseTo(1.0, within(1e-12));
        assertThatThrownBy(() -> new PolicySettings(d.plateauFactor(), d.plateauCooldownSteps(), d.minLearningRate(),
                d.minImprovement(), d.maxDecaysWithoutImprovement(), d.tooEarlyWaitFactor(), d.divergenceCeilingFactor(),
                d.remedyLearningRateFactor(), d.overfitL2Factor(), d.overfitDropoutStep(), d.favourShare(),
                d.minRangeKeep(), true, true, 3, 1e-4, 1.0, 2, 0.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOutcomeIsToldOnceThreeValidationsAfterTheRaise() {
        trial.best = 0.5;
        policy.observeValidation(trial, study, 0.5);
        policy.react(tooLow("underfitting", 200), trial, study);
        policy.observeValidation(trial, study, 0.55);
        trial.best = 0.55;
        assertThat(policy.raiseOutcome(trial, study)).isNull();
        policy.observeValidation(trial, study, 0.7);
        trial.best = 0.7;
        policy.observeValidation(trial, study, 0.68);
        assertThat(policy.raiseOutcome(trial, study)).isEqualTo("the learning-rate raise of step 200 helped: the best "
                + "value rose from 0.5000 to 0.7000 in the 3 validations since");
        policy.observeValidation(trial, study, 0.69);
        assertThat(policy.raiseOutcome(trial, study)).as("told once").isNull();

        policy.react(tooLow("plateau", 400), trial, study);
        for (int i = 0; i < 3; i++) {
            policy.observeValidation(trial, study, 0.6);
        }
        assertThat(policy.raiseOutcome(trial, study)).isEqualTo("the learning-rate raise of step 400 did not help: "
                + "the best value stayed at 0.7000 in the 3 validations since");
    }
}
