package io.trainwatch.monitor.quality;

import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.ValidationEvent;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reference rules of other tools (Keras callbacks, Amazon SageMaker Debugger's built-in rules, AUTOTRAINER),
 * implemented as their tools document them, to compare against: each
 * returns, per detector name it covers, the first step it fires on a run (absent when it never does).
 */
final class Baselines {

    interface Rule {
        String name();

        Map<String, Long> firstFirings(List<TrainingEvent> events);

        /** The detectors this tool has a rule for. */
        java.util.Set<String> covers();
    }

    private Baselines() {
    }

    static List<Rule> all() {
        return List.of(new Keras(), new SageMaker(), new AutoTrainer());
    }

    private static void fire(Map<String, Long> out, String detector, long step) {
        out.putIfAbsent(detector, step);
    }

    /** Keras: ReduceLROnPlateau on val_loss (patience 10, min_delta 1e-4 absolute) and TerminateOnNaN. */
    static final class Keras implements Rule {
        public String name() {
            return "Keras";
        }

        public java.util.Set<String> covers() {
            return java.util.Set.of(DetectorName.DIVERGENCE.id(), DetectorName.PLATEAU.id());
        }

        public Map<String, Long> firstFirings(List<TrainingEvent> events) {
            Map<String, Long> out = new HashMap<>();
            double best = Double.POSITIVE_INFINITY;
            int wait = 0;
            for (TrainingEvent e : events) {
                if (e instanceof StepEvent s && !Double.isFinite(s.loss())) {
                    fire(out, DetectorName.DIVERGENCE.id(), s.step());
                } else if (e instanceof ValidationEvent v && v.validationLoss() != null) {
                    if (v.validationLoss() < best - 1e-4) {
                        best = v.validationLoss();
                        wait = 0;
                    } else if (++wait >= 10) {
                        fire(out, DetectorName.PLATEAU.id(), v.step());
                    }
                }
            }
            return out;
        }
    }

    /**
     * SageMaker Debugger built-in rules with their defaults: VanishingGradient (mean |gradient| < 1e-7,
     * approximated by the mean layer gradient norm), ExplodingTensor (any NaN/Inf), LossNotDecreasing
     * (every 10 steps the loss must fall), Overfit ((val - train)/train > 0.1), PoorWeightInitialization
     * (the loss does not fall within the first 5 steps).
     */
    static final class SageMaker implements Rule {
        public String name() {
            return "SageMaker";
        }

        public java.util.Set<String> covers() {
            return java.util.Set.of(DetectorName.VANISHING_GRADIENTS.id(), DetectorName.EXPLODING_GRADIENTS.id(), DetectorName.DIVERGENCE.id(), DetectorName.PLATEAU.id(), DetectorName.OVERFITTING.id(),
                    DetectorName.BAD_INITIALIZATION.id());
        }

        public Map<String, Long> firstFirings(List<TrainingEvent> events) {
            Map<String, Long> out = new HashMap<>();
            double firstLoss = Double.NaN;
            double lossTenAgo = Double.NaN;
            long lastCheck = -1;
            for (TrainingEvent e : events) {
                if (e instanceof StepEvent s) {
                    if (!Double.isFinite(s.loss()) || (s.gradientNorm() != null && !Double.isFinite(s.gradientNorm()))) {
                        fire(out, DetectorName.EXPLODING_GRADIENTS.id(), s.step());
                        fire(out, DetectorName.DIVERGENCE.id(), s.step());
                        continue;
                    }
                    if (s.layerGradientNorms() != null && !s.layerGradientNorms().isEmpty()) {
                        double mean = s.layerGradientNorms().values().stream().mapToDouble(Double::doubleValue)
                                .average().orElse(1);
                        if (mean < 1e-7) {
                            fire(out, DetectorName.VANISHING_GRADIENTS.id(), s.step());
                        }
                    }
                    if (Double.isNaN(firstLoss)) {
                        firstLoss = s.loss();
                    } else if (s.step() == 5 && s.loss() >= firstLoss) {
                        fire(out, DetectorName.BAD_INITIALIZATION.id(), s.step());
                    }
                    if (s.step() % 10 == 0) {
                        if (!Double.isNaN(lossTenAgo) && s.loss() >= lossTenAgo && s.step() - lastCheck == 10) {
                            fire(out, DetectorName.PLATEAU.id(), s.step());
                        }
                        lossTenAgo = s.loss();
                        lastCheck = s.step();
                    }
                } else if (e instanceof ValidationEvent v && v.trainLoss() != null && v.validationLoss() != null
                        && v.trainLoss() > 0 && (v.validationLoss() - v.trainLoss()) / v.trainLoss() > 0.1) {
                    fire(out, DetectorName.OVERFITTING.id(), v.step());
                }
            }
            return out;
        }
    }

    /**
     * AUTOTRAINER (ICSE 2021): vanishing (first/last layer gradient ratio <= 1e-3, first-layer norm <= 1e-4,
     * best accuracy <= 0.7), exploding (ratio >= 70 or NaN gradients), divergence (loss NaN or >= 1e3),
     * overfitting (accuracy gap >= 0.1, or >= 0.07 when train accuracy > 0.9, checked each validation).
     */
    static final class AutoTrainer implements Rule {
        public String name() {
            return "AUTOTRAINER";
        }

        public java.util.Set<String> covers() {
            return java.util.Set.of(DetectorName.VANISHING_GRADIENTS.id(), DetectorName.EXPLODING_GRADIENTS.id(), DetectorName.DIVERGENCE.id(), DetectorName.OVERFITTING.id());
        }

        public Map<String, Long> firstFirings(List<TrainingEvent> events) {
            Map<String, Long> out = new HashMap<>();
            double bestAcc = 0;
            Deque<Double> unused = new ArrayDeque<>();
            for (TrainingEvent e : events) {
                if (e instanceof StepEvent s) {
                    if (s.accuracy() != null && Double.isFinite(s.accuracy())) {
                        bestAcc = Math.max(bestAcc, s.accuracy());
                    }
                    if (!Double.isFinite(s.loss()) || s.loss() >= 1e3) {
                        fire(out, DetectorName.DIVERGENCE.id(), s.step());
                    }
                    Map<String, Double> g = s.layerGradientNorms();
                    if (g == null || g.size() < 2) {
                        continue;
                    }
                    double first = g.values().iterator().next();
                    double last = g.values().stream().reduce((a, b) -> b).orElse(1.0);
                    if (!Double.isFinite(first) || !Double.isFinite(last)) {
                        fire(out, DetectorName.EXPLODING_GRADIENTS.id(), s.step());
                        continue;
                    }
                    double ratio = first / Math.max(last, 1e-30);
                    if (ratio <= 1e-3 && first <= 1e-4 && bestAcc <= 0.7) {
                        fire(out, DetectorName.VANISHING_GRADIENTS.id(), s.step());
                    }
                    if (ratio >= 70) {
                        fire(out, DetectorName.EXPLODING_GRADIENTS.id(), s.step());
                    }
                } else if (e instanceof ValidationEvent v && v.trainAccuracy() != null && v.validationAccuracy() != null) {
                    double gap = v.trainAccuracy() - v.validationAccuracy();
                    if (gap >= (v.trainAccuracy() > 0.9 ? 0.07 : 0.1)) {
                        fire(out, DetectorName.OVERFITTING.id(), v.step());
                    }
                }
            }
            unused.clear();
            return out;
        }
    }
}
