package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.study.Decision;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link UnderfittingReaction}: steer the space towards larger models and weaker regularisation, unless the alert
 * names the learning rate as the cause ({@code suggestedAction}): then the rate's range moves and the model stays.
 */
class UnderfittingReactionTest extends ReactionFixture {

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

    private static Alert underfitting(String action, Map<String, Double> evidence) {
        return new Alert(1, "a-" + action, Alert.FIRING, "s-t000", "s", "t000", "underfitting", Alert.WARNING, 300, 0,
                Fixtures.T0, "underfitting in appearance only", evidence, null, action);
    }

    private PolicySettings noStop() {
        PolicySettings d = PolicySettings.defaults();
        return new PolicySettings(d.plateauFactor(), d.plateauCooldownSteps(), d.minLearningRate(),
                d.minImprovement(), d.maxDecaysWithoutImprovement(), d.tooEarlyWaitFactor(), d.divergenceCeilingFactor(),
                d.remedyLearningRateFactor(), d.overfitL2Factor(), d.overfitDropoutStep(), d.favourShare(),
                d.minRangeKeep(), false);
    }

    @Test
    void anOscillatingRateLowersTheRateCeilingAndLeavesTheModelAlone() {
        trial.params.put("learningRate", 1.46);
        trial.learningRate = 1.46;
        study.space.put("learningRate", io.trainwatch.tuner.study.ParamSpec.logUniform(1e-4, 3));
        Reaction r = policy.react(underfitting(Alert.ACTION_DECAY_LR,
                Map.of("validationAccuracySwing", 0.47, "learningRate", 1.46)), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.adjustments()).singleElement().satisfies(a -> {
            assertThat(a.parameter()).isEqualTo("learningRate");
            assertThat(a.kind()).isEqualTo(Reaction.Adjustment.LOWER_CEILING);
            assertThat(a.value()).isCloseTo(0.73, within(1e-12)).isLessThan(1.46);
        });
        assertThat(r.detail()).contains("the learning rate's, not the model's").contains("decay-learning-rate")
                .contains("validation accuracy swings by 0.4700").contains("below 0.7300")
                .contains("model size and regularisation left as they are");
        // the remedy retries the same model at a tenth of the rate
        assertThat(r.remedy()).containsEntry("width", 16).containsEntry("l2", 1e-5).containsEntry("dropout", 0.1);
        assertThat((double) r.remedy().get("learningRate")).isCloseTo(0.146, within(1e-12));
    }

    @Test
    void aRateTooLowIsRaisedMidTrialRaisesTheRateFloorAndLeavesTheModelAlone() {
        trial.params.put("learningRate", 1e-3);
        trial.learningRate = 1e-3;
        Reaction r = policy.react(underfitting(Alert.ACTION_RAISE_LR, Map.of("smoothedUpdateRatio", 3e-5)), trial, study);
        assertThat(r.action()).as("the trial goes on at a higher rate").isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(r.learningRate()).isCloseTo(3e-3, within(1e-15));
        assertThat(r.adjustments()).extracting(a -> a.parameter() + ":" + a.kind() + ":" + a.value())
                .containsExactly("learningRate:raise-floor:0.001");
        assertThat(r.detail()).contains("raise-learning-rate").contains("update ratio 3.00e-05")
                .contains("learning rate 0.001000 -> 0.003000 (x3.000, raise 1 of at most 2) instead of a stop")
                .contains("at or above 0.001000");
        assertThat(r.remedy()).as("no remedy trial: the trial itself goes on").isNull();
        assertThat(trial.learningRate).isCloseTo(3e-3, within(1e-15));
    }

    @Test
    void aRateTooLowAtTheCeilingIsStoppedAndRetriedAsBefore() {
        trial.params.put("learningRate", 1e-3);
        trial.learningRate = 1e-3;
        study.space.put("learningRate", io.trainwatch.tuner.study.ParamSpec.logUniform(1e-4, 1e-3));
        Reaction r = policy.react(underfitting(Alert.ACTION_RAISE_LR, Map.of("smoothedUpdateRatio", 3e-5)), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.detail()).contains("no raise: the rate 0.001000 is at the ceiling of the study's current range");
        assertThat(r.adjustments()).extracting(a -> a.parameter() + ":" + a.kind()).containsExactly("learningRate:raise-floor");
    }

    @Test
    void withoutStoppingTheRateCauseOnlySteersTheRate() {
        Reaction r = new AlertPolicy(noStop()).react(underfitting(Alert.ACTION_DECAY_LR, Map.of()), trial, study);
        assertThat(r.action()).isEqualTo(Decision.ADJUST_SPACE);
        assertThat(r.adjustments()).extracting(a -> a.parameter() + ":" + a.kind())
                .containsExactly("learningRate:lower-ceiling");
        assertThat(r.remedy()).as("the trial runs on: no remedy trial").isNull();
    }

    @Test
    void aRateCauseWithNoRateToSteerChangesNothingElse() {
        study.space.remove("learningRate");
        Reaction r = policy.react(underfitting(Alert.ACTION_DECAY_LR, Map.of()), trial, study);
        assertThat(r.action()).isEqualTo(Decision.STOP);
        assertThat(r.adjustments()).isEmpty();
        assertThat(r.remedy()).isNull();
        assertThat(r.detail()).contains("no numeric learning rate");
    }

    @Test
    void anyOtherSuggestionIsTheModelsUnderfitting() {
        for (String action : new String[]{Alert.ACTION_STOP, Alert.ACTION_NONE, "free text", null}) {
            Reaction r = policy.react(underfitting(action, Map.of()), trial, study);
            assertThat(r.adjustments()).as(String.valueOf(action)).extracting(a -> a.parameter() + ":" + a.kind())
                    .containsExactlyInAnyOrder("width:raise-floor", "l2:lower-ceiling", "dropout:lower-ceiling");
        }
    }

    @Test
    void aYoungTrialsUnderfittingStopWaitsUntilHalfItsStepsAndAFlatValidation() {
        trial.maxSteps = 600;
        for (double v : new double[]{0.33, 0.50, 0.55}) {
            policy.observeValidation(trial, study, v);
        }
        Reaction r = policy.react(alert("s-t000", "underfitting", 141), trial, study);
        assertThat(r.action()).isEqualTo(Decision.DEFERRED);
        assertThat(r.adjustments()).as("no lesson for the space from an early verdict").isEmpty();
        assertThat(r.detail()).startsWith("deferred: underfitting at step 141 of 600 (under 50 % of the trial's steps: "
                + "judged from step 299), and validation still improving (best 0.5500)");
        assertThat(trial.plateau.deferredUnderfittingStep).isEqualTo(141);
        // the curve takes off: still improving at step 299 and after, so never stopped
        for (double v : new double[]{0.56, 0.62, 0.68, 0.77}) {
            policy.observeValidation(trial, study, v);
        }
        assertThat(policy.reconsiderUnderfitting(trial, study, 299, Fixtures.T0)).isNull();
        // flat again for three validations past half the budget: the stop is made, with the space's changes
        for (double v : new double[]{0.77, 0.77, 0.77}) {
            policy.observeValidation(trial, study, v);
        }
        assertThat(policy.reconsiderUnderfitting(trial, study, 250, Fixtures.T0)).as("young again? no: step 250 < 299").isNull();
        Reaction later = policy.reconsiderUnderfitting(trial, study, 350, Fixtures.T0);
        assertThat(later.action()).isEqualTo(Decision.STOP);
        assertThat(later.detail()).startsWith("reconsidered at the validation of step 350 (underfitting alert of step 141): "
                + "underfitting at step 350");
        assertThat(later.adjustments()).extracting(a -> a.parameter() + ":" + a.kind()).containsExactlyInAnyOrder(
                "width:raise-floor", "l2:lower-ceiling", "dropout:lower-ceiling");
        assertThat(trial.plateau.deferredUnderfittingAlertId).isNull();
        assertThat(policy.reconsiderUnderfitting(trial, study, 400, Fixtures.T0)).as("decided once").isNull();
    }

    @Test
    void pastHalfItsStepsWithAFlatValidationTheStopIsAtOnceAndARaiseIsNeverDeferred() {
        trial.maxSteps = 600;
        for (double v : new double[]{0.5, 0.5, 0.5, 0.5}) {
            policy.observeValidation(trial, study, v);
        }
        assertThat(policy.react(alert("s-t000", "underfitting", 299), trial, study).action()).isEqualTo(Decision.STOP);
        Reaction raise = policy.react(underfitting(Alert.ACTION_RAISE_LR, Map.of("smoothedUpdateRatio", 3e-5)), trial, study);
        assertThat(raise.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        AlertPolicy.clearDeferredUnderfitting(trial);
        Reaction swing = policy.react(underfitting(Alert.ACTION_DECAY_LR, Map.of("validationAccuracySwing", 0.4)),
                trial, study);
        assertThat(swing.action()).as("a rate too high is stopped and retried at once").isEqualTo(Decision.STOP);
    }
}
