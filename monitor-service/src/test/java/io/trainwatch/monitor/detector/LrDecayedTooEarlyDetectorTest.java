package io.trainwatch.monitor.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.support.SyntheticRuns;
import io.trainwatch.monitor.support.TestConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Learning rate decayed too early: the loss stops improving right at a step decay of the learning rate, long before
 * it levelled off (Bengio 2012, "Practical recommendations", on decaying only once progress slows). A decay made
 * after the loss levelled, which lets the loss fall again, is healthy.
 */
class LrDecayedTooEarlyDetectorTest {

    private static final String NAME = DetectorName.LR_DECAYED_TOO_EARLY.id();
    private static final long[] SEEDS = {1, 2, 3};

    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());

    @Test
    void aLossThatStallsAtAnEarlyDecayFiresAndAsksToRaiseTheRateBack() {
        for (long seed : SEEDS) {
            SyntheticRuns.Labelled run = SyntheticRuns.lrDecayedTooEarly(seed);
            List<Alert> alerts = DetectorRuns.firing(monitor, run.events(), NAME);
            assertThat(alerts).as("synthetic run " + seed).isNotEmpty();
            Alert a = alerts.get(0);
            assertThat(a.step()).as("synthetic run " + seed).isGreaterThan(run.onsetStep());
            assertThat(a.evidence().get("decayStep")).isEqualTo((double) run.onsetStep());
            assertThat(a.evidence().get("learningRateBefore")).isEqualTo(0.1);
            assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_RAISE_LR);
        }
    }

    @Test
    void aDecayAfterTheLossLevelledAndARunWithoutDecayNeverFire() {
        for (long seed : SEEDS) {
            assertThat(DetectorRuns.alerts(monitor, SyntheticRuns.healthyWithDecay(seed).events(), NAME))
                    .as("synthetic run " + seed).isEmpty();
            assertThat(DetectorRuns.alerts(monitor, SyntheticRuns.healthy(seed).events(), NAME)).as("synthetic run " + seed)
                    .isEmpty();
            // A plateau with a constant rate is a plateau, not a decay made too early.
            assertThat(DetectorRuns.alerts(monitor, SyntheticRuns.plateau(seed).events(), NAME)).as("synthetic run " + seed)
                    .isEmpty();
        }
    }
}
