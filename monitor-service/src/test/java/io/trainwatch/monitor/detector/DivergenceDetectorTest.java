package io.trainwatch.monitor.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunState;
import io.trainwatch.monitor.support.TestConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DivergenceDetectorTest {

    private final RunMonitor monitor = new RunMonitor(TestConfig.defaults());

    private static StepEvent step(long step, double loss) {
        return new StepEvent(Contract.SCHEMA_VERSION, "r", Instant.EPOCH.plusSeconds(step), null, null, step, 0, loss,
                null, 0.01, 1.0, Map.of("l0", 0.5, "l1", 0.6), null, null, null, null);
    }

    private RunState crossEntropyRun() {
        RunState s = monitor.newState("r");
        s.crossEntropy = true;
        s.chanceLoss = Math.log(3);
        return s;
    }

    private List<Alert> divergence(RunState s, double... losses) {
        List<Alert> out = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            monitor.process(s, step(i, losses[i])).stream().filter(a -> a.detector().equals(DetectorName.DIVERGENCE.id()))
                    .forEach(out::add);
        }
        return out;
    }

    @Test
    void aHugeStartingLossThatFallsIsNotDivergence() {
        // tfjs badinit-huge-s1: 378,700 at step 0, falling, above 1e3 for more than 5 steps.
        double[] losses = new double[40];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 378_700 * Math.pow(0.6, i) + 1.0;
        }
        assertThat(divergence(crossEntropyRun(), losses)).isEmpty();
    }

    @Test
    void aLossAboveTheAbsoluteLimitAndAboveItsStartDiverges() {
        double[] losses = new double[30];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = i < 10 ? 800 : 1200; // 1.5x the start: only the 1e3 limit says so
        }
        List<Alert> alerts = divergence(crossEntropyRun(), losses);
        assertThat(alerts).extracting(Alert::status).contains(Alert.FIRING);
        assertThat(alerts.get(0).summary()).contains("over 1000");
    }

    @Test
    void aHugeStartThatFallsAndClimbsBackAboveItDiverges() {
        double[] losses = new double[40];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = i < 10 ? 5000 - 300 * i : i < 25 ? 1500 : 6000;
        }
        List<Alert> alerts = divergence(crossEntropyRun(), losses);
        assertThat(alerts).isNotEmpty();
        assertThat(alerts.get(0).step()).isGreaterThanOrEqualTo(25);
    }

    @Test
    void aNonFiniteLossStillFiresAtOnceEvenFromAHugeStart() {
        List<Alert> alerts = divergence(crossEntropyRun(), 378_700, 200_000, 100_000, Double.POSITIVE_INFINITY);
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0).step()).isEqualTo(3);
        assertThat(divergence(crossEntropyRun(), 1e4, Double.NaN)).extracting(Alert::step).containsExactly(1L);
    }
}
