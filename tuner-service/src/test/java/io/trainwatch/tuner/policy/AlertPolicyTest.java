package io.trainwatch.tuner.policy;

import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.study.Decision;
import org.junit.jupiter.api.Test;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;

/** The registry: each detector of the contract has its reaction; unknown detectors are ignored. */
class AlertPolicyTest extends ReactionFixture {

    @Test
    void unknownDetectorsAreIgnored() {
        Reaction r = policy.react(alert("s-t000", "dead-relu", 500), trial, study);
        assertThat(r.action()).isEqualTo(Decision.IGNORE);
    }

    @Test
    void everyDetectorOfTheContractHasOneReactionFoundByItsId() {
        assertThat(policy.reactions().keySet()).containsExactlyInAnyOrder(DetectorName.values());
        assertThat(policy.reactionFor("plateau")).get().isInstanceOf(PlateauReaction.class);
        assertThat(policy.reactionFor("exploding-gradients")).get().isInstanceOf(DivergenceReaction.class);
        assertThat(policy.reactionFor("bad-initialization")).get().isInstanceOf(VanishingGradientsReaction.class);
        assertThat(policy.reactionFor("dead-relu")).isEmpty();
        assertThat(policy.reactionFor(null)).isEmpty();
    }
}
