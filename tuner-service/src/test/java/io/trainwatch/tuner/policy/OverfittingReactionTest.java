package io.trainwatch.tuner.policy;

import io.trainwatch.tuner.study.Decision;
import org.junit.jupiter.api.Test;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link OverfittingReaction}: stop, keep the best point, favour stronger regularisation. */
class OverfittingReactionTest extends ReactionFixture {

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
}
