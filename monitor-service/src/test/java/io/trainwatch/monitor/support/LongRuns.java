package io.trainwatch.monitor.support;

import io.trainwatch.events.Contract;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.ValidationEvent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;

/**
 * Seeded long healthy runs (20,000 steps and more), generated in the test rather than stored: a 5-class
 * cross-entropy loss that converges to ~1e-3 of ln(C), a gradient norm proportional to the loss that settles near
 * 1e-4-1e-3 (where a converged run's norm goes), batch noise, and now and then a hard mini-batch: 3-5 steps whose
 * gradient norm is 10x-2,000x the running median and whose batch loss is 1.5-4x the expected one. Validation every
 * 200 steps with a steady small gap and a validation loss still falling. Optimiser and schedule vary per run.
 */
public final class LongRuns {

    private static final int CLASSES = 5;
    private static final double LN_C = Math.log(CLASSES);
    private static final String[] LAYERS = {"dense1", "dense2", "output"};

    private LongRuns() {
    }

    /** One generated run, in the shape of {@link Fixtures.Fixture} (source {@code synthetic-long}, healthy). */
    public static Fixtures.Fixture healthy(String name, long seed, int steps, String optimizer, double lr,
                                           DoubleUnaryOperator schedule) {
        Random random = new Random(seed);
        String runId = "synthetic-long-" + name;
        Instant start = Instant.parse("2026-12-01T10:00:00Z");
        List<TrainingEvent> events = new ArrayList<>();
        List<LayerInfo> layers = List.of(new LayerInfo("dense1", "dense", 20, 64, "relu", "he"),
                new LayerInfo("dense2", "dense", 64, 64, "relu", "he"),
                new LayerInfo("output", "output", 64, CLASSES, "softmax", "xavier"));
        events.add(new RunStarted(Contract.SCHEMA_VERSION, runId, start, null, null,
                new RunConfig("healthy", "synthetic-long", CLASSES, "cross-entropy", layers, optimizer, lr, 32, 100,
                        0.0, 0.0, seed), "synthetic", "cpu"));
        double tau = 80 + random.nextDouble() * 120;
        double floor = 5e-4 + random.nextDouble() * 5e-4;
        int hard = 0;
        double hardGradient = 1;
        double hardLoss = 1;
        double trainSum = 0;
        int inWindow = 0;
        for (int t = 0; t < steps; t++) {
            double expected = LN_C * (floor + (1 - floor) * Math.exp(-t / tau));
            if (hard == 0 && t > 1000 && random.nextDouble() < 0.002) {
                hard = 3 + random.nextInt(3);
                hardGradient = Math.pow(10, 1 + 2.3 * random.nextDouble());
                hardLoss = 1.5 + 2.5 * random.nextDouble();
            }
            double gMul = hard > 0 ? hardGradient : 1;
            double lMul = hard > 0 ? hardLoss : 1;
            if (hard > 0) {
                hard--;
            }
            double loss = expected * lMul * Math.exp(0.25 * random.nextGaussian());
            double g = 1.5 * (expected / LN_C) * gMul * Math.exp(0.3 * random.nextGaussian());
            double rate = schedule.applyAsDouble(t);
            Map<String, Double> norms = new LinkedHashMap<>();
            Map<String, Double> params = new LinkedHashMap<>();
            Map<String, Double> ratios = new LinkedHashMap<>();
            for (int i = 0; i < LAYERS.length; i++) {
                double v = g * (0.4 + 0.2 * i) * Math.exp(0.1 * random.nextGaussian());
                norms.put(LAYERS[i], v);
                params.put(LAYERS[i], 6.0 + i);
                // Adam's step is about the rate whatever the gradient's size; SGD's is the rate times the gradient
                ratios.put(LAYERS[i], optimizer.equals("adam") ? rate * (1 + 0.1 * i) * Math.exp(0.1 * random.nextGaussian())
                        : rate * v / (6.0 + i));
            }
            double acc = Math.min(1, 1 - 0.8 * expected / LN_C + 0.02 * random.nextGaussian());
            Instant at = start.plusMillis(20L * (t + 1));
            events.add(new StepEvent(Contract.SCHEMA_VERSION, runId, at, null, null, t, t / 100, loss,
                    Math.max(0, acc), rate, l2(norms), norms, params, ratios, 1.0, 32000.0));
            trainSum += expected;
            inWindow++;
            if ((t + 1) % 200 == 0) {
                double train = trainSum / inWindow;
                double val = (train * 1.2 + 0.01) * Math.exp(0.01 * random.nextGaussian());
                double trainAcc = Math.min(1, 1 - 0.8 * train / LN_C);
                events.add(new ValidationEvent(Contract.SCHEMA_VERSION, runId, at.plusMillis(5), null, null, t, t / 100,
                        train, trainAcc, val, Math.max(0, trainAcc - 0.02)));
                trainSum = 0;
                inWindow = 0;
            }
        }
        events.add(new RunFinished(Contract.SCHEMA_VERSION, runId, start.plusMillis(20L * (steps + 1)), null, null,
                RunFinished.COMPLETED, "all steps done", steps - 1, 0L));
        return new Fixtures.Fixture(runId, "healthy", -1, List.of(), "synthetic-long", events);
    }

    /** The long healthy runs of the quality suite: SGD, momentum, Adam; constant, step and exponential rates. */
    public static List<Fixtures.Fixture> all() {
        return List.of(
                healthy("sgd-constant-s1", 1, 20_000, "sgd", 0.1, t -> 0.1),
                healthy("momentum-step-s2", 2, 20_000, "sgd-momentum", 0.05, t -> 0.05 * Math.pow(0.5, (int) (t / 5000))),
                healthy("adam-exponential-s3", 3, 20_000, "adam", 1e-3, t -> 1e-3 * Math.pow(0.9999, t)),
                healthy("adam-constant-s4", 4, 30_000, "adam", 3e-4, t -> 3e-4),
                healthy("sgd-step-s5", 5, 20_000, "sgd", 0.2, t -> 0.2 * Math.pow(0.1, (int) (t / 8000))));
    }

    private static double l2(Map<String, Double> norms) {
        double s = 0;
        for (double v : norms.values()) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}
