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
 * Bad initialisation: a first loss far above ln(C), a loss pinned at ln(C) with dead hidden gradients, or a long
 * flat start followed by a sudden drop (Glorot and Bengio 2010; CS231n's "look for correct loss at chance
 * performance"). A healthy run, which starts near ln(C) and falls, never fires.
 */
class BadInitializationDetectorTest {

    private static final String NAME = DetectorName.BAD_INITIALIZATION.id();
    private static final long[] SEEDS = {1, 2, 3};

    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());

    @Test
    void aFirstLossFarAboveChanceFiresAtOnce() {
        for (long seed : SEEDS) {
            List<Alert> alerts = DetectorRuns.firing(monitor, SyntheticRuns.hugeInit(seed).events(), NAME);
            assertThat(alerts).as("synthetic run " + seed).isNotEmpty();
            Alert a = alerts.get(0);
            assertThat(a.step()).as("synthetic run " + seed).isLessThan(20);
            assertThat(a.summary()).contains("first loss");
            assertThat(a.evidence().get("firstLossOverChance")).isGreaterThan(5.0);
            assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_STOP);
        }
    }

    @Test
    void aLossPinnedAtChanceWithDeadHiddenGradientsFires() {
        for (long seed : SEEDS) {
            List<Alert> alerts = DetectorRuns.firing(monitor, SyntheticRuns.zeroInit(seed).events(), NAME);
            assertThat(alerts).as("synthetic run " + seed).isNotEmpty();
            assertThat(alerts.get(0).summary()).contains("pinned at ln(C)").contains("dead hidden-layer gradients");
        }
    }

    @Test
    void aLongFlatStartThenASuddenDropFiresAfterTheDrop() {
        for (long seed : SEEDS) {
            SyntheticRuns.Labelled run = SyntheticRuns.flatThenDrop(seed);
            List<Alert> alerts = DetectorRuns.firing(monitor, run.events(), NAME);
            assertThat(alerts).as("synthetic run " + seed).isNotEmpty();
            assertThat(alerts.get(0).step()).as("synthetic run " + seed).isGreaterThanOrEqualTo(run.onsetStep());
            assertThat(alerts.get(0).summary()).contains("flat").contains("dropped");
        }
    }

    @Test
    void aHealthyRunNeverFires() {
        for (long seed : SEEDS) {
            assertThat(DetectorRuns.alerts(monitor, SyntheticRuns.healthy(seed).events(), NAME)).as("synthetic run " + seed)
                    .isEmpty();
            assertThat(DetectorRuns.alerts(monitor, SyntheticRuns.healthyWithDecay(seed).events(), NAME))
                    .as("synthetic run " + seed).isEmpty();
        }
    }
}
