package io.trainwatch.monitor.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.engine.RunStateCodec;
import io.trainwatch.monitor.support.TestConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VanishingGradientsDetectorTest {

    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());

    private static Map<String, Double> norms(double hidden1, double hidden2, double output) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("dense_Dense1", hidden1);
        m.put("dense_Dense2", hidden2);
        m.put("dense_Dense3", output);
        return m;
    }

    private static StepEvent step(long step, double loss, Map<String, Double> norms) {
        return new StepEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH.plusSeconds(step), null, null, step, 0, loss,
                null, 0.1, 1.0, norms, null, null, null, null);
    }

    private RunState run() {
        RunState s = monitor.newState("r");
        s.crossEntropy = true;
        s.chanceLoss = Math.log(3);
        return s;
    }

    /** Vanishing-gradients alerts of {@code alive} live steps then {@code dead} steps with hidden norms exactly 0. */
    private List<Alert> vanishing(RunState s, double firstLoss, int alive, int dead, int revived) {
        List<Alert> out = new ArrayList<>();
        int t = 0;
        for (int i = 0; i < alive + dead + revived; i++, t++) {
            boolean isDead = i >= alive && i < alive + dead;
            double loss = i == 0 ? firstLoss : isDead ? 1.24 : 0.9;
            Map<String, Double> n = isDead ? norms(0.0, 0.0, 0.05) : norms(0.4, 0.5, 0.6);
            monitor.process(s, step(t, loss, n)).stream()
                    .filter(a -> a.detector().equals(DetectorName.VANISHING_GRADIENTS.id())).forEach(out::add);
        }
        return out;
    }

    @Test
    void hiddenLayersThatDieAfterLearningFireWithTheirNamesAndTheDeadReluRemedy() {
        List<Alert> alerts = vanishing(run(), 1.1, 17, 60, 0);
        assertThat(alerts).hasSize(1);
        Alert a = alerts.get(0);
        assertThat(a.status()).isEqualTo(Alert.FIRING);
        assertThat(a.step()).isEqualTo(17 + 20 - 1);
        assertThat(a.summary()).contains("dense_Dense1, dense_Dense2").contains("exactly 0").doesNotContain("Dense3");
        assertThat(a.remedy()).contains("lower the learning rate").contains("leaky ReLU").contains("He");
        assertThat(a.evidence()).containsEntry("deadHiddenLayers", 2.0).containsEntry("stepsDead", 20.0);
        assertThat(a.suggestedAction()).isEqualTo(Alert.ACTION_STOP);
    }

    @Test
    void nineteenDeadStepsAreNotEnoughAndRevivedLayersResolveIt() {
        assertThat(vanishing(run(), 1.1, 17, 19, 40)).isEmpty();
        List<Alert> alerts = vanishing(run(), 1.1, 17, 30, 40);
        assertThat(alerts).extracting(Alert::status).containsExactly(Alert.FIRING, Alert.RESOLVED);
    }

    @Test
    void deadFromTheFirstStepIsSymmetricInitNotThisRule() {
        assertThat(vanishing(run(), 1.1, 0, 80, 0)).isEmpty();
    }

    @Test
    void unitsDyingInARunThatStartedFarFromLnCAreLeftToBadInitialization() {
        assertThat(vanishing(run(), 378_700, 17, 60, 0)).isEmpty();
    }

    @Test
    void nonFiniteOrMissingNormsNeitherCountNorBreakTheRun() {
        RunState s = run();
        vanishing(s, 1.1, 10, 10, 0);
        assertThat(s.deadHiddenRun).isEqualTo(10);
        monitor.process(s, step(20, 1.2, norms(Double.NaN, 0.0, 0.1)));
        monitor.process(s, step(21, 1.2, norms(Double.POSITIVE_INFINITY, 0.0, 0.1)));
        monitor.process(s, step(22, 1.2, null));
        monitor.process(s, step(23, 1.2, Map.of()));
        assertThat(s.deadHiddenRun).isEqualTo(10);
        RunState copy = RunStateCodec.read(RunStateCodec.write(s));
        assertThat(copy.deadHiddenRun).isEqualTo(10);
        assertThat(copy.hiddenGradientsSeen).isTrue();
    }

    /** Vanishing-gradients alerts of 100 steps at accuracy 0.4 with these layer norms (null: none) and update ratios. */
    private List<Alert> byUpdates(Map<String, Double> norms, double firstUpdate, double lastUpdate) {
        RunState s = run();
        List<Alert> out = new ArrayList<>();
        for (int t = 0; t < 100; t++) {
            Map<String, Double> ratios = new LinkedHashMap<>();
            ratios.put("dense_Dense1", firstUpdate);
            ratios.put("dense_Dense2", (firstUpdate + lastUpdate) / 2);
            ratios.put("dense_Dense3", lastUpdate);
            StepEvent e = new StepEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH.plusSeconds(t), null, null, t, 0,
                    1.0 - 0.001 * t, 0.4, 0.0045, 1.0, norms, null, ratios, null, null);
            monitor.process(s, e).stream().filter(a -> a.detector().equals(DetectorName.VANISHING_GRADIENTS.id()))
                    .forEach(out::add);
        }
        return out;
    }

    @Test
    void aSmallUpdateRatioWithHealthyGradientsIsALowRateNotVanishing() {
        // a ReLU/He network at rate 0.0045: first/last gradient ratio 0.21, first-layer norm 0.24, but the first
        // layer's update ratio 7.8e-5 (below 1e-4) because the rate is low
        assertThat(byUpdates(norms(0.24, 0.6, 1.14), 7.8e-5, 3e-4)).isEmpty();
    }

    @Test
    void aSmallUpdateRatioFiresWhenTheGradientFadesBeforeTheFirstLayer() {
        // the gradient reaching the first layer is 5 % of the last layer's (under the fading line, above AUTOTRAINER's
        // 1e-3): the update route fires, with the update ratios as the reason
        List<Alert> alerts = byUpdates(norms(0.05, 0.3, 1.0), 5e-5, 1e-3);
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0).summary()).contains("update:parameter ratio");
        assertThat(alerts.get(0).suggestedAction()).isEqualTo(Alert.ACTION_STOP);
        // without layer norms the update ratios decide: the first layer's 1/20 of the last layer's fades
        assertThat(byUpdates(null, 5e-5, 1e-3)).hasSize(1);
        // ... and 7.8e-5 next to 3e-4 (a quarter) does not
        assertThat(byUpdates(null, 7.8e-5, 3e-4)).isEmpty();
    }
}
