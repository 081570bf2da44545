package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The small helpers every reaction shares: reading numbers and rates, clipping into ranges, a stop. */
final class PolicyMath {

    private PolicyMath() {
    }

    static Reaction stop(String policy, String detail, List<Reaction.Adjustment> adjustments, Map<String, Object> remedy) {
        return new Reaction(policy, Decision.STOP, null, detail, adjustments, remedy);
    }

    /** The trial's current rate: as steered by the tuner, else as sampled, else what the alert says. */
    static Double currentRate(TrialState trial, Alert alert) {
        return currentRate(trial, rateFromAlert(alert));
    }

    static Double rateFromAlert(Alert alert) {
        return alert.evidence() == null ? null : firstFinite(alert.evidence(), "learningRate", "lr");
    }

    static Double currentRate(TrialState trial, Double fromAlert) {
        if (trial.learningRate != null && trial.learningRate > 0) {
            return trial.learningRate;
        }
        Double sampled = number(trial.params.get(TrainerParameters.LEARNING_RATE));
        if (sampled != null && sampled > 0) {
            return sampled;
        }
        return fromAlert;
    }

    static Double firstFinite(Map<String, Double> evidence, String... keys) {
        for (String k : keys) {
            Double v = evidence.get(k);
            if (v != null && Double.isFinite(v) && v > 0) {
                return v;
            }
        }
        return null;
    }

    static Double number(Object o) {
        return o instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : null;
    }

    static double clip(ParamSpec p, double v) {
        if (p == null || !p.isNumeric()) {
            return v;
        }
        return Math.max(p.min(), Math.min(p.max(), v));
    }

    static String fmt(Double v) {
        return v == null ? "none" : Ranges.fmt(v);
    }

    /** The trial's point with {@code name} set to {@code value} clipped into the study's range; null when unchanged. */
    static Map<String, Object> withParam(TrialState trial, StudyState study, String name, double value) {
        ParamSpec p = study.space.get(name);
        Map<String, Object> remedy = new LinkedHashMap<>(trial.params);
        double clipped = clip(p, value);
        if (number(trial.params.get(name)) != null && clipped == number(trial.params.get(name))) {
            return null;
        }
        remedy.put(name, clipped);
        return remedy;
    }

    /**
     * Brings the numeric parameters of a remedy point back into the study's current ranges: a remedy keeps the
     * trial's other values, and the study may have learned since the trial was drawn that some of them fail (a
     * learning rate above the ceiling that a divergence lowered: ReLU at that rate would only diverge in turn).
     * Returns what was changed, for the decision's detail ("" when nothing).
     */
    static String intoCurrentRanges(Map<String, Object> remedy, StudyState study) {
        StringBuilder changes = new StringBuilder();
        for (Map.Entry<String, Object> e : remedy.entrySet()) {
            ParamSpec p = study.space.get(e.getKey());
            Double v = number(e.getValue());
            if (p == null || !p.isNumeric() || v == null) {
                continue;
            }
            double c = clip(p, v);
            if (c != v) {
                e.setValue(e.getValue() instanceof Integer || e.getValue() instanceof Long ? (Object) Math.round(c) : c);
                changes.append(changes.length() == 0 ? "; the remedy also brings " : ", ").append(e.getKey()).append(' ')
                        .append(Ranges.fmt(v)).append(" -> ").append(Ranges.fmt(c));
            }
        }
        return changes.length() == 0 ? "" : changes.append(" (inside the study's current range)").toString();
    }
}
