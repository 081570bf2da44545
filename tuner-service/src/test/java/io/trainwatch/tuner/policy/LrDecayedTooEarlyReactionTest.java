package io.trainwatch.tuner.policy;

import io.trainwatch.tuner.study.Decision;
import org.junit.jupiter.api.Test;

import static io.trainwatch.tuner.Fixtures.alert;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link LrDecayedTooEarlyReaction}: raise the rate back once, then wait longer. */
class LrDecayedTooEarlyReactionTest extends ReactionFixture {

    @Test
    void decayedTooEarlyRaisesBackOnceAndWaitsLonger() {
        policy.react(alert("s-t000", "plateau", 100), trial, study);
        Reaction up = policy.react(alert("s-t000", "lr-decayed-too-early", 120), trial, study);
        assertThat(up.action()).isEqualTo(Decision.SET_LEARNING_RATE);
        assertThat(up.learningRate()).isEqualTo(0.1);
        assertThat(trial.plateau.waitMultiplier).isEqualTo(2.0);
        assertThat(policy.react(alert("s-t000", "lr-decayed-too-early", 130), trial, study).action()).isEqualTo(Decision.IGNORE);
        // the cooldown is now 100 steps from the raise at 120
        assertThat(policy.react(alert("s-t000", "plateau", 200), trial, study).action()).isEqualTo(Decision.IGNORE);
        assertThat(policy.react(alert("s-t000", "plateau", 220), trial, study).action()).isEqualTo(Decision.SET_LEARNING_RATE);
    }

    @Test
    void decayedTooEarlyWithNoKnownEarlierRateIsIgnored() {
        assertThat(policy.react(alert("s-t000", "lr-decayed-too-early", 50), trial, study).action()).isEqualTo(Decision.IGNORE);
    }
}
