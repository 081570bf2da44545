package io.trainwatch.tuner.bench;

import io.trainwatch.tuner.search.Sampler;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tuner's per-trial training seeds that the Optuna arm's driver ({@code bench/optuna_arm.py}, {@code trial_seed})
 * reproduces: the same known values are checked on the Python side ({@code bench/test_optuna_arm.py}), so that both
 * arms train each trial index from the same initialisation and shuffles.
 */
class TrialSeedParityTest {

    @Test
    void theKnownSeedsOfTheDriversCheck() {
        assertThat(Sampler.trialSeed(4, 0)).isEqualTo(483672598L);
        assertThat(Sampler.trialSeed(1, 3)).isEqualTo(673184024L);
        assertThat(Sampler.trialSeed(-7, 5)).isEqualTo(178485268L);
        assertThat(Sampler.trialSeed(123456789012L, 39)).isEqualTo(823771884L);
    }
}
