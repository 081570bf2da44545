package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tuner's reaction to a firing alert on a running trial (issue 5, DOMAIN.md section 3):
 * <ul>
 *   <li>{@code plateau}: decay the rate by a factor, with a cooldown and a floor; after several decays
 *   with no improvement, stop; while the trial's validation objective still improves, defer the decay and
 *   reconsider it at the next validation ({@link #reconsider});</li>
 *   <li>{@code lr-decayed-too-early}: raise the rate back once, then wait longer before decaying;</li>
 *   <li>{@code divergence}, {@code exploding-gradients}: stop; lower the study's learning-rate ceiling
 *   below the diverging rate;</li>
 *   <li>{@code vanishing-gradients}, {@code bad-initialization}: stop; favour ReLU-family activations and
 *   He/Xavier init where the space allows;</li>
 *   <li>{@code overfitting}: stop (the trial keeps its best validation point); favour stronger L2/dropout;</li>
 *   <li>{@code underfitting}: favour larger models and weaker regularisation.</li>
 * </ul>
 * The learning-rate bookkeeping of the trial (decays, cooldown, raise-back) is updated here; the caller
 * sends commands, applies the adjustments and records the decision.
 */
public final class AlertPolicy {

    public static final String PLATEAU = "plateau";
    public static final String TOO_EARLY = "lr-decayed-too-early";
    public static final String DIVERGENCE = "divergence";
    public static final String EXPLODING = "exploding-gradients";
    public static final String VANISHING = "vanishing-gradients";
    public static final String BAD_INIT = "bad-initialization";
    public static final String OVERFITTING = "overfitting";
    public static final String UNDERFITTING = "underfitting";

    private final PolicySettings settings;

    public AlertPolicy(PolicySettings settings) {
        this.settings = settings;
    }

    public PolicySettings settings() {
        return settings;
    }

    /** The reaction to a firing alert on an active trial of a running study. */
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
        return switch (alert.detector()) {
            case PLATEAU -> plateau(alert, trial, study);
            case TOO_EARLY -> tooEarly(alert, trial);
            case DIVERGENCE, EXPLODING -> divergence(alert, trial, study);
            case VANISHING, BAD_INIT -> vanishing(alert, trial, study);
            case OVERFITTING -> overfitting(alert, trial, study);
            case UNDERFITTING -> underfitting(alert, trial, study);
            default -> Reaction.ignore(alert.detector(), "no policy for detector '" + alert.detector() + "'");
        };
    }

    private Reaction plateau(Alert alert, TrialState trial, StudyState study) {
        Double fromAlert = alert.evidence() == null ? null : firstFinite(alert.evidence(), "learningRate", "lr");
        clearDeferred(trial);
        return plateau(alert.alertId(), alert.step(), fromAlert, trial, study, null);
    }

    /**
     * Follows the trial's validation objective (call at each finite validation value, before
     * {@link #reconsider}): counts the validations and remembers the last one that raised the best by more
     * than the validation min-delta. The first value is the baseline, not an improvement.
     */
    public void observeValidation(TrialState trial, StudyState study, double value) {
        if (!Double.isFinite(value)) {
            return;
        }
        trial.validations++;
        if (trial.deltaBest == null) {
            trial.deltaBest = value;
        } else if (study.spec.objective().better(value, trial.deltaBest, settings.validationMinDelta())) {
            trial.deltaBest = value;
            trial.lastImprovingValidation = trial.validations;
        }
    }

    /** Whether the trial's validation objective rose (by more than the min-delta) at one of its last validations. */
    public boolean validationImproving(TrialState trial) {
        return trial.lastImprovingValidation > 0
                && trial.validations - trial.lastImprovingValidation < settings.validationPatience();
    }

    /**
     * Reconsiders a deferred plateau decision at a validation (step {@code step}): null while the trial's
     * validation objective still improves (the decision stays deferred), else the plateau reaction, now
     * decided. Null too when nothing is deferred.
     */
    public Reaction reconsider(TrialState trial, StudyState study, long step) {
        if (trial.deferredPlateauAlertId == null || validationImproving(trial)) {
            return null;
        }
        long alertStep = trial.deferredPlateauStep == null ? step : trial.deferredPlateauStep;
        Double fromAlert = trial.deferredPlateauRate;
        String alertId = trial.deferredPlateauAlertId;
        clearDeferred(trial);
        return plateau(alertId, step, fromAlert, trial, study, "reconsidered at the validation of step " + step
                + " (plateau alert of step " + alertStep + "): validation no longer improving; ");
    }

    /** Forgets a deferred plateau decision (its alert resolved, or a newer plateau alert came). */
    public static void clearDeferred(TrialState trial) {
        trial.deferredPlateauAlertId = null;
        trial.deferredPlateauStep = null;
        trial.deferredPlateauRate = null;
    }

    private Reaction plateau(String alertId, long step, Double rateFromAlert, TrialState trial, StudyState study,
                             String prefix) {
        String pre = prefix == null ? "" : prefix;
        Double rate = currentRate(trial, rateFromAlert);
        if (rate == null) {
            return Reaction.ignore(PLATEAU, pre + "the trial's learning rate is unknown: cannot decay it");
        }
        if (trial.lastDecayStep != null) {
            long cooldown = (long) Math.ceil(settings.plateauCooldownSteps() * trial.waitMultiplier);
            if (step < trial.lastDecayStep + cooldown) {
                return Reaction.ignore(PLATEAU, pre + "in cooldown: " + (step - trial.lastDecayStep) + " of "
                        + cooldown + " steps since the last decay at step " + trial.lastDecayStep);
            }
        }
        if (prefix == null && settings.deferWhileImproving() && validationImproving(trial)) {
            trial.deferredPlateauAlertId = alertId;
            trial.deferredPlateauStep = step;
            trial.deferredPlateauRate = rateFromAlert;
            int ago = trial.validations - trial.lastImprovingValidation;
            String when = ago == 0 ? "at the last validation" : ago + (ago == 1 ? " validation ago" : " validations ago");
            return new Reaction(PLATEAU, Decision.DEFERRED, null, "deferred: validation still improving (best "
                    + fmt(trial.deltaBest) + " reached " + when + ", within " + settings.validationPatience()
                    + "); learning rate " + Ranges.fmt(rate) + " kept, reconsidered at the next validation",
                    List.of(), null);
        }
        if (trial.decays > 0) {
            boolean improved = study.spec.objective().better(trial.best, trial.bestAtLastDecay, settings.minImprovement());
            trial.decaysWithoutImprovement = improved ? 0 : trial.decaysWithoutImprovement + 1;
        }
        if (trial.decaysWithoutImprovement >= settings.maxDecaysWithoutImprovement()) {
            return stop(PLATEAU, pre + "still on a plateau after " + trial.decaysWithoutImprovement
                    + " learning-rate decays with no improvement of the best value (" + fmt(trial.best) + ")",
                    List.of(), null);
        }
        if (trial.maxDecays != null && trial.decays >= trial.maxDecays) {
            return Reaction.ignore(PLATEAU, pre + "the run allows at most " + trial.maxDecays
                    + " learning-rate decays (control.maxDecays): rate " + Ranges.fmt(rate) + " kept");
        }
        double floor = trial.minLearningRate == null ? settings.minLearningRate()
                : Math.max(trial.minLearningRate, settings.minLearningRate());
        double next = Math.max(rate * settings.plateauFactor(), floor);
        if (next >= rate * (1 - 1e-9)) {
            return stop(PLATEAU, pre + "on a plateau with the learning rate at its floor " + Ranges.fmt(rate), List.of(), null);
        }
        trial.previousLearningRate = rate;
        trial.learningRate = next;
        trial.decays++;
        trial.bestAtLastDecay = trial.best;
        trial.lastDecayStep = step;
        return new Reaction(PLATEAU, Decision.SET_LEARNING_RATE, next, pre + "learning rate " + Ranges.fmt(rate) + " -> "
                + Ranges.fmt(next) + " (x" + settings.plateauFactor() + ", decay " + trial.decays + ")", List.of(), null);
    }

    private Reaction tooEarly(Alert alert, TrialState trial) {
        if (trial.raisedBack) {
            return Reaction.ignore(TOO_EARLY, "the rate was raised back once already; waiting longer before decaying");
        }
        Double before = trial.previousLearningRate;
        if (before == null && alert.evidence() != null) {
            before = firstFinite(alert.evidence(), "previousLearningRate", "learningRateBefore");
        }
        if (before == null || !(before > 0)) {
            return Reaction.ignore(TOO_EARLY, "the rate before the decay is unknown: cannot raise it back");
        }
        trial.raisedBack = true;
        trial.waitMultiplier *= settings.tooEarlyWaitFactor();
        trial.previousLearningRate = trial.learningRate;
        trial.learningRate = before;
        trial.lastDecayStep = alert.step();
        return new Reaction(TOO_EARLY, Decision.SET_LEARNING_RATE, before, "learning rate raised back to "
                + Ranges.fmt(before) + "; the next decay waits " + settings.tooEarlyWaitFactor() + "x longer", List.of(), null);
    }

    private Reaction divergence(Alert alert, TrialState trial, StudyState study) {
        List<Reaction.Adjustment> adjustments = new ArrayList<>();
        Double diverging = number(trial.params.get(TrainerParameters.LEARNING_RATE));
        if (diverging == null) {
            diverging = currentRate(trial, alert);
        }
        Map<String, Object> remedy = null;
        ParamSpec lr = study.space.get(TrainerParameters.LEARNING_RATE);
        if (diverging != null && lr != null && lr.isNumeric()) {
            adjustments.add(new Reaction.Adjustment(TrainerParameters.LEARNING_RATE, Reaction.Adjustment.LOWER_CEILING,
                    diverging * settings.divergenceCeilingFactor(), null,
                    "trial " + trial.trialId + " diverged at learning rate " + Ranges.fmt(diverging)));
            remedy = withParam(trial, study, TrainerParameters.LEARNING_RATE,
                    diverging * settings.remedyLearningRateFactor());
        }
        return stop(alert.detector(), alert.detector() + " at step " + alert.step()
                + (diverging == null ? "" : " with learning rate " + Ranges.fmt(diverging)), adjustments, remedy);
    }

    private Reaction vanishing(Alert alert, TrialState trial, StudyState study) {
        List<Reaction.Adjustment> adjustments = new ArrayList<>();
        Map<String, Object> remedy = new LinkedHashMap<>(trial.params);
        boolean changed = false;
        List<Object> relu = choices(study, TrainerParameters.ACTIVATION, true);
        if (!relu.isEmpty()) {
            adjustments.add(new Reaction.Adjustment(TrainerParameters.ACTIVATION, Reaction.Adjustment.FAVOUR, null, relu,
                    alert.detector() + " in trial " + trial.trialId + ": favour ReLU-family activations"));
            if (!TrainerParameters.isReluFamily(remedy.get(TrainerParameters.ACTIVATION))) {
                remedy.put(TrainerParameters.ACTIVATION, relu.contains("relu") ? "relu" : relu.get(0));
                changed = true;
            }
        }
        List<Object> init = choices(study, TrainerParameters.WEIGHT_INIT, false);
        if (!init.isEmpty()) {
            adjustments.add(new Reaction.Adjustment(TrainerParameters.WEIGHT_INIT, Reaction.Adjustment.FAVOUR, null, init,
                    alert.detector() + " in trial " + trial.trialId + ": favour He/Xavier initialisation"));
            Object act = remedy.get(TrainerParameters.ACTIVATION);
            Object wanted = TrainerParameters.isReluFamily(act) && init.contains("relu") ? "relu"
                    : init.contains("xavier") ? "xavier" : init.get(0);
            if (!TrainerParameters.isHeOrXavier(remedy.get(TrainerParameters.WEIGHT_INIT))) {
                remedy.put(TrainerParameters.WEIGHT_INIT, wanted);
                changed = true;
            }
        }
        String detail = alert.detector() + " at step " + alert.step()
                + (adjustments.isEmpty() ? "; the space has no ReLU-family activation or He/Xavier init to favour" : "");
        String clipped = changed ? intoCurrentRanges(remedy, study) : "";
        return stop(alert.detector(), detail + clipped, adjustments, changed ? remedy : null);
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

    private Reaction overfitting(Alert alert, TrialState trial, StudyState study) {
        List<Reaction.Adjustment> adjustments = new ArrayList<>();
        Map<String, Object> remedy = new LinkedHashMap<>(trial.params);
        boolean changed = false;
        Double l2 = number(trial.params.get(TrainerParameters.L2));
        if (l2 != null && study.space.containsKey(TrainerParameters.L2)) {
            adjustments.add(new Reaction.Adjustment(TrainerParameters.L2, Reaction.Adjustment.RAISE_FLOOR, l2, null,
                    "trial " + trial.trialId + " overfitted with L2 " + Ranges.fmt(l2)));
            double stronger = clip(study.space.get(TrainerParameters.L2), l2 * settings.overfitL2Factor());
            changed |= stronger != l2;
            remedy.put(TrainerParameters.L2, stronger);
        }
        Double dropout = number(trial.params.get(TrainerParameters.DROPOUT));
        if (dropout != null && study.space.containsKey(TrainerParameters.DROPOUT)) {
            adjustments.add(new Reaction.Adjustment(TrainerParameters.DROPOUT, Reaction.Adjustment.RAISE_FLOOR, dropout,
                    null, "trial " + trial.trialId + " overfitted with dropout " + Ranges.fmt(dropout)));
            double stronger = clip(study.space.get(TrainerParameters.DROPOUT), dropout + settings.overfitDropoutStep());
            changed |= stronger != dropout;
            remedy.put(TrainerParameters.DROPOUT, stronger);
        }
        String where = trial.bestStep == null ? "no validation point yet"
                : "best " + fmt(trial.best) + " at step " + trial.bestStep + ", epoch " + trial.bestEpoch;
        return stop(OVERFITTING, "overfitting at step " + alert.step() + "; early stop keeps the " + where,
                adjustments, changed ? remedy : null);
    }

    private Reaction underfitting(Alert alert, TrialState trial, StudyState study) {
        List<Reaction.Adjustment> adjustments = new ArrayList<>();
        for (String size : TrainerParameters.MODEL_SIZE) {
            Double v = number(trial.params.get(size));
            if (v != null && study.space.containsKey(size)) {
                adjustments.add(new Reaction.Adjustment(size, Reaction.Adjustment.RAISE_FLOOR, v, null,
                        "trial " + trial.trialId + " underfitted with " + size + " " + Ranges.fmt(v)));
            }
        }
        for (String reg : List.of(TrainerParameters.L2, TrainerParameters.DROPOUT)) {
            Double v = number(trial.params.get(reg));
            if (v != null && study.space.containsKey(reg)) {
                adjustments.add(new Reaction.Adjustment(reg, Reaction.Adjustment.LOWER_CEILING, v, null,
                        "trial " + trial.trialId + " underfitted with " + reg + " " + Ranges.fmt(v)));
            }
        }
        String detail = "underfitting at step " + alert.step() + (adjustments.isEmpty()
                ? "; the space has no model size or regularisation to steer" : "; later trials favour larger models and weaker regularisation");
        if (settings.stopOnUnderfitting()) {
            return stop(UNDERFITTING, detail, adjustments, null);
        }
        return new Reaction(UNDERFITTING, adjustments.isEmpty() ? Decision.IGNORE : Decision.ADJUST_SPACE, null, detail,
                adjustments, null);
    }

    private Reaction stop(String policy, String detail, List<Reaction.Adjustment> adjustments, Map<String, Object> remedy) {
        return new Reaction(policy, Decision.STOP, null, detail, adjustments, remedy);
    }

    private Map<String, Object> withParam(TrialState trial, StudyState study, String name, double value) {
        ParamSpec p = study.space.get(name);
        Map<String, Object> remedy = new LinkedHashMap<>(trial.params);
        double clipped = clip(p, value);
        if (number(trial.params.get(name)) != null && clipped == number(trial.params.get(name))) {
            return null;
        }
        remedy.put(name, clipped);
        return remedy;
    }

    /** The choices of a categorical parameter of the space that are ReLU-family ({@code relu}) or He/Xavier. */
    private static List<Object> choices(StudyState study, String name, boolean relu) {
        ParamSpec p = study.space.get(name);
        List<Object> out = new ArrayList<>();
        if (p == null || p.isNumeric()) {
            return out;
        }
        for (Object v : p.values()) {
            if (relu ? TrainerParameters.isReluFamily(v) : TrainerParameters.isHeOrXavier(v)) {
                out.add(v);
            }
        }
        return out;
    }

    /** The trial's current rate: as steered by the tuner, else as sampled, else what the alert says. */
    static Double currentRate(TrialState trial, Alert alert) {
        return currentRate(trial, alert.evidence() == null ? null : firstFinite(alert.evidence(), "learningRate", "lr"));
    }

    private static Double currentRate(TrialState trial, Double fromAlert) {
        if (trial.learningRate != null && trial.learningRate > 0) {
            return trial.learningRate;
        }
        Double sampled = number(trial.params.get(TrainerParameters.LEARNING_RATE));
        if (sampled != null && sampled > 0) {
            return sampled;
        }
        return fromAlert;
    }

    private static Double firstFinite(Map<String, Double> evidence, String... keys) {
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

    private static double clip(ParamSpec p, double v) {
        if (p == null || !p.isNumeric()) {
            return v;
        }
        return Math.max(p.min(), Math.min(p.max(), v));
    }

    private static String fmt(Double v) {
        return v == null ? "none" : Ranges.fmt(v);
    }
}
