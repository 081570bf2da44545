package io.trainwatch.trainer.engine;

import io.trainwatch.trainer.scenario.Scenarios;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The figures of the trainer README's "Overfitting a subset" table: steps until the training accuracy on 5
 * mini-batches is 1.0, or the best it reaches, for models that can and cannot overfit them (several seeds).
 * Slow (~1-3 min on the shared machine): {@code -Dgroups=slow -DexcludedGroups= -Dtest=OverfitMeasurementTest}.
 */
@Tag("slow")
class OverfitMeasurementTest {

    private static Map<String, Object> healthy(Object... kv) {
        Map<String, Object> m = new HashMap<>(Scenarios.configOf("healthy"));
        m.put("subsetBatches", 5);
        m.put("l2", 0);
        m.put("dropout", 0);
        m.put("epochs", 100_000);
        m.put("maxSteps", 1000);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void measure() {
        Map<String, Map<String, Object>> configs = new java.util.LinkedHashMap<>();
        configs.put("healthy 2x64 adam 5e-3", healthy("maxSteps", 800));
        configs.put("healthy + batchNorm", healthy("maxSteps", 300, "batchNorm", true));
        configs.put("healthy adam 0.01", healthy("maxSteps", 500, "learningRate", 0.01));
        configs.put("logistic [] adam 0.05", healthy("hiddenLayers", List.of(), "learningRate", 0.05, "maxSteps", 200));
        configs.put("width 2 [2] adam 0.05", healthy("hiddenLayers", List.of(2), "learningRate", 0.05, "maxSteps", 400));
        for (Map.Entry<String, Map<String, Object>> e : configs.entrySet()) {
            StringBuilder line = new StringBuilder("OVERFIT " + e.getKey() + ":");
            for (long seed : new long[]{42, 1}) {
                Map<String, Object> c = new HashMap<>(e.getValue());
                c.put("seed", seed);
                double[] r = TuningSupportTest.overfit(c);
                line.append(String.format(" seed %d -> first 1.0 after step %d, best %.4f over %d steps;", seed,
                        (long) r[0], r[1], (long) r[2]));
                System.out.println(line);
                if (e.getKey().startsWith("logistic")) {
                    assertThat(r[1]).as(line.toString()).isLessThan(0.8);
                }
            }
            System.out.println(line);
        }
    }
}
