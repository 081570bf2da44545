package io.trainwatch.tuner.policy;

import io.trainwatch.tuner.study.Decision;
import org.junit.jupiter.api.Test;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link UnderfittingReaction}: steer the space towards larger models and weaker regularisation. */
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
}
