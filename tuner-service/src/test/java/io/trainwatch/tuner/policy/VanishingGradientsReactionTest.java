package io.trainwatch.tuner.policy;

import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link VanishingGradientsReaction}: stop, favour ReLU-family activations and He/Xavier init. */
class VanishingGradientsReactionTest extends ReactionFixture {

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
}
