package io.trainwatch.trainer.run;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.trainer.engine.RunObserver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Micrometer view of one run: gauges {@code trainer.loss}, {@code trainer.accuracy},
 * {@code trainer.learning.rate}, {@code trainer.gradient.norm} tagged {@code run}, and
 * {@code trainer.layer.gradient.norm} tagged {@code run} and {@code layer}; all removed when the run
 * ends, so the number of series stays bounded by the runs in progress. Steps also feed the shared
 * {@code trainer.step} timer.
 */
public final class RunGauges implements RunObserver {

    /** Per-layer gauges are registered for at most this many layers (the deepest allowed model has 33). */
    static final int MAX_LAYER_GAUGES = 64;

    private final MeterRegistry registry;
    private final Tags tags;
    private final Timer stepTimer;
    private final List<Meter> meters = new ArrayList<>();
    private volatile double loss = Double.NaN;
    private volatile double accuracy = Double.NaN;
    private volatile double learningRate = Double.NaN;
    private volatile double gradientNorm = Double.NaN;
    private double[] layerNorms;

    public RunGauges(MeterRegistry registry, String runId) {
        this.registry = registry;
        this.tags = Tags.of("run", runId);
        this.stepTimer = Timer.builder("trainer.step").description("Wall time of one optimisation step, telemetry included")
                .register(registry);
        meters.add(Gauge.builder("trainer.loss", this, g -> g.loss).tags(tags).description("Latest training loss").register(registry));
        meters.add(Gauge.builder("trainer.accuracy", this, g -> g.accuracy).tags(tags).description("Latest batch accuracy").register(registry));
        meters.add(Gauge.builder("trainer.learning.rate", this, g -> g.learningRate).tags(tags)
                .description("Learning rate in force").register(registry));
        meters.add(Gauge.builder("trainer.gradient.norm", this, g -> g.gradientNorm).tags(tags)
                .description("Global L2 norm of the mean gradient").register(registry));
    }

    @Override
    public void onStep(StepEvent step) {
        loss = step.loss();
        accuracy = step.accuracy() == null ? Double.NaN : step.accuracy();
        learningRate = step.learningRate() == null ? Double.NaN : step.learningRate();
        gradientNorm = step.gradientNorm() == null ? Double.NaN : step.gradientNorm();
        if (step.stepMillis() != null && Double.isFinite(step.stepMillis())) {
            stepTimer.record((long) (step.stepMillis() * 1e6), TimeUnit.NANOSECONDS);
        }
        Map<String, Double> layers = step.layerGradientNorms();
        if (layers == null) {
            return;
        }
        if (layerNorms == null) {
            int n = Math.min(layers.size(), MAX_LAYER_GAUGES);
            double[] values = new double[n];
            java.util.Arrays.fill(values, Double.NaN);
            int i = 0;
            for (String layer : layers.keySet()) {
                if (i >= n) {
                    break;
                }
                int index = i++;
                meters.add(Gauge.builder("trainer.layer.gradient.norm", values, v -> v[index])
                        .tags(tags.and("layer", layer)).description("L2 norm of a layer's mean gradient")
                        .register(registry));
            }
            layerNorms = values;
        }
        int i = 0;
        for (Double v : layers.values()) {
            if (i >= layerNorms.length) {
                break;
            }
            layerNorms[i++] = v == null ? Double.NaN : v;
        }
    }

    @Override
    public void onFinished(RunFinished finished) {
        remove();
    }

    /** Removes every per-run series. */
    public void remove() {
        for (Meter m : meters) {
            registry.remove(m);
        }
        meters.clear();
    }
}
