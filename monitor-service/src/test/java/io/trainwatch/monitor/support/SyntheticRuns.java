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
 * Generated training runs shaped like the trainer's scenarios and the figures of recorded runs:
 * 5-class softmax cross-entropy (ln 5 = 1.609), batch-level multiplicative noise on the loss, binomial-like
 * noise on batch accuracy, log-normal noise on per-layer gradient norms, a validation every epoch.
 */
public final class SyntheticRuns {

    public static final int CLASSES = 5;
    public static final double LN_C = Math.log(CLASSES);

    /** A generated run with its label: the pathology (or "healthy") and the step it starts at. */
    public record Labelled(String name, String pathology, long onsetStep, List<TrainingEvent> events) {
    }

    private final Random random;
    private final String runId;
    private final Instant start = Instant.parse("2026-11-23T10:00:00Z");
    private final List<TrainingEvent> events = new ArrayList<>();
    private int stepsPerEpoch = 20;
    private double lossNoise = 0.12;

    private SyntheticRuns(String runId, long seed) {
        this.runId = runId;
        this.random = new Random(seed);
    }

    /** Every scenario for one seed. */
    public static List<Labelled> all(long seed) {
        return List.of(healthy(seed), healthyWithDecay(seed), vanishing(seed), exploding(seed), hugeInit(seed),
                zeroInit(seed), flatThenDrop(seed), plateau(seed), lrDecayedTooEarly(seed), overfitting(seed),
                underfitting(seed), diverging(seed));
    }

    private static String id(String name, long seed) {
        return "synthetic-" + name + "-s" + seed;
    }

    public static Labelled healthy(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("healthy", seed), seed);
        double tau = 50 + g.random.nextDouble() * 60;
        g.lossNoise = 0.08 + g.random.nextDouble() * 0.1;
        g.run("healthy", 400, 1e-3, t -> LN_C * (0.02 + 0.98 * Math.exp(-t / tau)), t -> 1.0, 0.02, 0.08, null);
        return new Labelled("healthy-s" + seed, "healthy", -1, g.events);
    }

    public static Labelled healthyWithDecay(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("healthy-decay", seed), seed);
        // Step decay at 250 after the loss has levelled at ~25 %: it drops again right after the decay.
        g.run("healthy", 500, 0.1, t -> t < 250 ? LN_C * (0.25 + 0.75 * Math.exp(-t / 50.0))
                        : LN_C * (0.02 + (0.25 + 0.75 * Math.exp(-5) - 0.02) * Math.exp(-(t - 250) / 40.0)),
                t -> 1.0, 0.02, 0.08, t -> t < 250 ? 0.1 : 0.01);
        return new Labelled("healthy-decay-s" + seed, "healthy", -1, g.events);
    }

    public static Labelled vanishing(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("vanishing", seed), seed);
        g.layers = 10;
        g.layerDecay = 0.1; // 10 sigmoid layers, N(0, 0.05^2): first/last ~ 1e-9 (a recorded run: 1.9e-10 / 3.9e-1)
        g.run("vanishing-gradients", 300, 0.1, t -> LN_C * (1 - 0.04 * (1 - Math.exp(-t / 200.0))), t -> 1.0,
                0.0, 0.0, null);
        return new Labelled("vanishing-s" + seed, "vanishing-gradients", 0, g.events);
    }

    public static Labelled exploding(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("exploding", seed), seed);
        int onset = 20 + g.random.nextInt(15);
        // SGD at lr 2: a few steps of progress, then norms grow ~35 %/step and the loss turns NaN (~step 50).
        g.run("exploding-gradients", 200, 2.0,
                t -> t < onset ? LN_C * (1 - 0.2 * t / onset) : LN_C * 0.8 * Math.pow(1.3, t - onset),
                t -> t < onset ? 1.0 : Math.pow(1.35, t - onset), 0.02, 0.08, null);
        return new Labelled("exploding-s" + seed, "exploding-gradients", onset, g.events);
    }

    public static Labelled hugeInit(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("huge-init", seed), seed);
        double first = 17 + g.random.nextDouble() * 4; // N(0, 10^2): ~19-20 for 5 classes
        g.run("bad-initialization", 300, 1e-3, t -> 0.9 + (first - 0.9) * Math.exp(-t / 90.0), t -> 20.0, 0.05, 0.15,
                null);
        return new Labelled("huge-init-s" + seed, "bad-initialization", 0, g.events);
    }

    public static Labelled zeroInit(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("zero-init", seed), seed);
        g.lossNoise = 0.002;
        g.deadHidden = true; // zero init, ReLU: the loss stays exactly ln(C), hidden gradients are 0
        g.run("bad-initialization", 300, 1e-3, t -> LN_C, t -> 1.0, 0.0, 0.0, null);
        return new Labelled("zero-init-s" + seed, "bad-initialization", 0, g.events);
    }

    public static Labelled flatThenDrop(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("flat-drop", seed), seed);
        int drop = 130 + g.random.nextInt(60);
        g.run("bad-initialization", 400, 1e-2,
                t -> t < drop ? LN_C * (1 - 0.01 * t / drop) : LN_C * (0.1 + 0.89 * Math.exp(-(t - drop) / 15.0)),
                t -> t < drop ? 0.05 : 1.0, 0.02, 0.08, null);
        return new Labelled("flat-drop-s" + seed, "bad-initialization", drop, g.events);
    }

    public static Labelled plateau(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("plateau", seed), seed);
        int level = 120 + g.random.nextInt(60);
        double floor = 0.3 + g.random.nextDouble() * 0.2;
        g.lossNoise = 0.25; // the learning rate is too high for late training: the loss bounces
        g.run("plateau", 600, 0.5, t -> t < level ? floor + (LN_C - floor) * Math.exp(-3.0 * t / level)
                        : floor + (LN_C - floor) * Math.exp(-3.0) + 0.02 * Math.sin(t / 7.0), t -> 1.0, 0.03, 0.1, null);
        return new Labelled("plateau-s" + seed, "plateau", level, g.events);
    }

    public static Labelled lrDecayedTooEarly(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("lr-decayed", seed), seed);
        int decay = 50 + g.random.nextInt(30);
        double at = LN_C * (0.35 + 0.65 * Math.exp(-decay / 40.0));
        g.run("lr-decayed-too-early", 500, 0.1,
                t -> t < decay ? LN_C * (0.35 + 0.65 * Math.exp(-t / 40.0)) : at * (1 - 0.005 * (t - decay) / 400.0),
                t -> 1.0, 0.03, 0.1, t -> t < decay ? 0.1 : 0.001);
        return new Labelled("lr-decayed-s" + seed, "lr-decayed-too-early", decay, g.events);
    }

    public static Labelled overfitting(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("overfitting", seed), seed);
        g.stepsPerEpoch = 2; // 64 noisy samples, batch 32
        int minEpoch = 15 + g.random.nextInt(10);
        g.overfitFromEpoch = minEpoch;
        g.run("overfitting", 400, 1e-3, t -> LN_C * (0.005 + 0.995 * Math.exp(-t / 40.0)), t -> 1.0, 0.0, 0.0, null);
        return new Labelled("overfitting-s" + seed, "overfitting", (long) minEpoch * g.stepsPerEpoch, g.events);
    }

    public static Labelled underfitting(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("underfitting", seed), seed);
        int flat = 80 + g.random.nextInt(40);
        double floor = 1.1 + g.random.nextDouble() * 0.2;
        g.accuracyCeiling = 0.45;
        g.run("underfitting", 500, 1e-2, t -> floor + (LN_C - floor) * Math.exp(-3.0 * Math.min(t, flat) / flat),
                t -> 1.0, 0.0, 0.01, null);
        return new Labelled("underfitting-s" + seed, "underfitting", flat, g.events);
    }

    public static Labelled diverging(long seed) {
        SyntheticRuns g = new SyntheticRuns(id("diverging", seed), seed);
        int raise = 180 + g.random.nextInt(40);
        double at = LN_C * (0.2 + 0.8 * Math.exp(-raise / 40.0));
        // The learning rate is raised 30x mid-run: the loss climbs back ~2 %/step, past its start, finite throughout.
        g.run("divergence", 400, 0.01, t -> t < raise ? LN_C * (0.2 + 0.8 * Math.exp(-t / 40.0))
                        : Math.min(at * Math.pow(1.02, t - raise), 4 * LN_C), t -> t < raise ? 1.0 : 1.5, 0.02, 0.08,
                t -> t < raise ? 0.01 : 0.3);
        return new Labelled("diverging-s" + seed, "divergence", raise, g.events);
    }

    // --- the generator

    private int layers = 4;
    private double layerDecay = 1.0;
    private boolean deadHidden;
    private int overfitFromEpoch = -1;
    private double accuracyCeiling = 1.0;

    private void run(String scenario, int steps, double lr, DoubleUnaryOperator loss, DoubleUnaryOperator gradScale,
                     double valLossGap, double valAccGap, DoubleUnaryOperator lrSchedule) {
        List<LayerInfo> layerInfo = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            layerInfo.add(new LayerInfo("layer" + i, i == layers - 1 ? "output" : "dense", 64, 64,
                    i == layers - 1 ? "softmax" : "relu", "xavier"));
        }
        events.add(new RunStarted(Contract.SCHEMA_VERSION, runId, start, null, null,
                new RunConfig(scenario, "synthetic", CLASSES, "cross-entropy", layerInfo, "sgd", lr, 32, 20, 0.0, 0.0,
                        random.nextLong()), "synthetic", "cpu"));
        double epochLoss = 0;
        double epochAcc = 0;
        int inEpoch = 0;
        double valMin = Double.NaN;
        for (int t = 0; t < steps; t++) {
            double expected = loss.applyAsDouble(t);
            double l = expected * Math.exp(lossNoise * random.nextGaussian());
            double rate = lrSchedule == null ? lr : lrSchedule.applyAsDouble(t);
            Instant at = start.plusMillis(50L * (t + 1));
            int epoch = t / stepsPerEpoch;
            double acc = accuracy(expected) + 0.05 * random.nextGaussian();
            acc = Math.max(0, Math.min(1, acc));
            if (!Double.isFinite(l) || l > 1e6) {
                events.add(new StepEvent(Contract.SCHEMA_VERSION, runId, at, null, null, t, epoch, Double.NaN, null, rate,
                        Double.NaN, layerNorms(Double.NaN), null, null, 1.3, 25000.0));
                events.add(new RunFinished(Contract.SCHEMA_VERSION, runId, at.plusMillis(10), null, null,
                        RunFinished.DIVERGED, "the loss is NaN", t, 0L));
                return;
            }
            double g = gradScale.applyAsDouble(t) * Math.sqrt(expected / LN_C + 0.02);
            Map<String, Double> norms = layerNorms(g);
            events.add(new StepEvent(Contract.SCHEMA_VERSION, runId, at, null, null, t, epoch, l, acc, rate,
                    l2(norms), norms, null, updateRatios(rate, norms), 1.3, 25000.0));
            epochLoss += l;
            epochAcc += acc;
            inEpoch++;
            if ((t + 1) % stepsPerEpoch == 0) {
                double trainLoss = epochLoss / inEpoch;
                double trainAcc = epochAcc / inEpoch;
                double valLoss = trainLoss * (1 + valLossGap) + valLossGap;
                double valAcc = trainAcc - valAccGap;
                if (overfitFromEpoch >= 0) {
                    double base = LN_C * 0.3 + 0.1;
                    valLoss = epoch < overfitFromEpoch ? base + (LN_C - base) * Math.exp(-epoch / 5.0)
                            : (base + (LN_C - base) * Math.exp(-overfitFromEpoch / 5.0)) * Math.pow(1.04, epoch - overfitFromEpoch);
                    valLoss *= Math.exp(0.02 * random.nextGaussian());
                    valAcc = Math.min(trainAcc, 0.75 - 0.004 * Math.max(0, epoch - overfitFromEpoch));
                }
                valLoss = Math.max(valLoss, 0.001);
                valMin = Double.isNaN(valMin) ? valLoss : Math.min(valMin, valLoss);
                events.add(new ValidationEvent(Contract.SCHEMA_VERSION, runId, at.plusMillis(5), null, null, t, epoch,
                        trainLoss, trainAcc, valLoss, Math.max(0, Math.min(1, valAcc + 0.01 * random.nextGaussian()))));
                epochLoss = 0;
                epochAcc = 0;
                inEpoch = 0;
            }
        }
        events.add(new RunFinished(Contract.SCHEMA_VERSION, runId, start.plusMillis(50L * (steps + 1)), null, null,
                RunFinished.COMPLETED, "all steps done", steps - 1, 0L));
    }

    private double accuracy(double loss) {
        double progress = Math.max(0, 1 - loss / LN_C);
        double acc = 1.0 / CLASSES + (1 - 1.0 / CLASSES) * Math.pow(progress, 0.6);
        return Math.min(acc, accuracyCeiling);
    }

    private Map<String, Double> layerNorms(double scale) {
        Map<String, Double> norms = new LinkedHashMap<>();
        for (int i = 0; i < layers; i++) {
            double base = 0.6 * Math.pow(layerDecay, layers - 1 - i);
            double v = deadHidden && i < layers - 1 ? 0.0 : base * scale * Math.exp(0.3 * random.nextGaussian());
            norms.put("layer" + i, v);
        }
        return norms;
    }

    private Map<String, Double> updateRatios(double lr, Map<String, Double> norms) {
        Map<String, Double> ratios = new LinkedHashMap<>();
        norms.forEach((k, v) -> ratios.put(k, lr * v / 8.0));
        return ratios;
    }

    private static double l2(Map<String, Double> norms) {
        double s = 0;
        for (double v : norms.values()) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}
