package io.trainwatch.tuner.policy;

import io.trainwatch.tuner.study.Decision;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link DivergenceReaction}: stop, lower the learning-rate ceiling, propose a smaller rate. */
class DivergenceReactionTest extends ReactionFixture {

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
}
