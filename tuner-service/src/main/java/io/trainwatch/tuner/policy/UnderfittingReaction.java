package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.PlateauState;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.trainwatch.tuner.policy.PolicyMath.currentRate;
import static io.trainwatch.tuner.policy.PolicyMath.number;
import static io.trainwatch.tuner.policy.PolicyMath.stop;
import static io.trainwatch.tuner.policy.PolicyMath.withParam;

/**
 * {@code underfitting}: later trials favour larger models and weaker regularisation (CS231n's reading of the
 * curves: training and validation close and both mediocre); the trial itself is stopped unless
 * {@link PolicySettings#stopOnUnderfitting()} is off (BTTackler's diagnosis-driven termination).
 * <p>
 * When the monitor finds the learning rate, not the model, behind the flat curve, the alert says so in its
 * {@code suggestedAction}, and the remedy changes the rate's range and leaves the model alone:
 * <ul>
 *   <li>{@code decay-learning-rate} (a validation accuracy that swings: a rate too high, CS231n's "learning rate
 *   too high" curve): the study's learning-rate ceiling drops below the trial's rate (rate x
 *   {@link PolicySettings#divergenceCeilingFactor()}, as for a divergence, of which such swings are the mild form)
 *   and a stopped trial is retried at rate x {@link PolicySettings#remedyLearningRateFactor()};</li>
 *   <li>{@code raise-learning-rate} (updates tiny next to the weights while the gradients are healthy: a rate too
 *   low): the study's learning-rate floor rises to the trial's rate, and the trial goes on at a raised rate
 *   ({@link RateRaise}: x3 within the study's range, at most twice per trial): its steps so far are not lost, and
 *   no remedy trial takes a place of the budget. Only when it may not be raised (at the range's ceiling, raised
 *   twice already) is the trial stopped and retried at rate / {@link PolicySettings#remedyLearningRateFactor()};
 *   an alert while a raise is still acting (within a plateau cooldown of it) waits.</li>
 * </ul>
 * Any other suggestion (or none) is read as the model's underfitting, as above. That stop waits while a study's
 * trial is young (under {@link PolicySettings#underfittingMinShare()} of its steps) or its validation objective still
 * improves ({@link PlateauReaction#validationImproving}): the decision is {@code deferred} and reconsidered at each
 * next validation ({@link #reconsider}), dropped if the alert resolves. A flat stretch early in a run is often the
 * "flat, then a sudden drop" of a curve that has not taken off yet, not a model that cannot fit.
 */
public final class UnderfittingReaction implements AlertReaction {

    private static final String NAME = DetectorName.UNDERFITTING.id();

    private final PolicySettings settings;
    private final RateRaise raise;
    private final PlateauReaction validation;

    public UnderfittingReaction(PolicySettings settings) {
        this.settings = settings;
        this.raise = new RateRaise(settings);
        this.validation = new PlateauReaction(settings);
    }

    @Override
    public Set<DetectorName> detectors() {
        return Set.of(DetectorName.UNDERFITTING);
    }

    @Override
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
        clearDeferred(trial);
        boolean modelCause = !Alert.ACTION_DECAY_LR.equals(alert.suggestedAction())
                && !Alert.ACTION_RAISE_LR.equals(alert.suggestedAction());
        if (modelCause && settings.stopOnUnderfitting()) {
            String why = deferral(alert.step(), trial);
            if (why != null) {
                trial.plateau.deferredUnderfittingAlertId = alert.alertId();
                trial.plateau.deferredUnderfittingStep = alert.step();
                return new Reaction(NAME, Decision.DEFERRED, null, "deferred: underfitting at step " + alert.step()
                        + why + ": a curve flat for a while may still take off; reconsidered at each next validation, "
                        + "the stop and the space's changes made then if the alert still holds", List.of(), null);
            }
        }
        return decide(alert, trial, study);
    }

    /**
     * Reconsiders a deferred underfitting stop at a validation of step {@code step} (after the validation was
     * observed, at time {@code at}): null while it stays deferred (or none is), else the reaction, decided now.
     */
    public Reaction reconsider(TrialState trial, StudyState study, long step, java.time.Instant at) {
        PlateauState p = trial.plateau;
        if (p.deferredUnderfittingAlertId == null || deferral(step, trial) != null) {
            return null;
        }
        long alertStep = p.deferredUnderfittingStep == null ? step : p.deferredUnderfittingStep;
        Alert deferred = new Alert(io.trainwatch.events.Contract.SCHEMA_VERSION, p.deferredUnderfittingAlertId,
                Alert.FIRING, trial.runId, null, trial.trialId, NAME, Alert.WARNING, step, 0, at, "underfitting",
                null, null, null);
        clearDeferred(trial);
        Reaction r = decide(deferred, trial, study);
        return new Reaction(r.policy(), r.action(), r.learningRate(), "reconsidered at the validation of step " + step
                + " (underfitting alert of step " + alertStep + "): " + r.detail(), r.adjustments(), r.remedy());
    }

    /** Forgets a deferred underfitting stop (its alert resolved, a newer one came, or the trial ended). */
    public static void clearDeferred(TrialState trial) {
        trial.plateau.deferredUnderfittingAlertId = null;
        trial.plateau.deferredUnderfittingStep = null;
    }

    /**
     * Why an underfitting stop at {@code step} waits (a phrase), or null when it may be made now: a study's trial
     * that has trained less than {@link PolicySettings#underfittingMinShare()} of its steps, or whose validation
     * objective still improves. A steered run (no step budget) is judged at once, as before.
     */
    private String deferral(long step, TrialState trial) {
        if (trial.maxSteps <= 0) {
            return null;
        }
        long min = (long) Math.ceil(settings.underfittingMinShare() * trial.maxSteps);
        boolean young = step + 1 < min;
        boolean improving = validation.validationImproving(trial);
        if (!young && !improving) {
            return null;
        }
        return (young ? " of " + trial.maxSteps + " (under " + Math.round(100 * settings.underfittingMinShare())
                + " % of the trial's steps: judged from step " + (min - 1) + ")" : "")
                + (improving ? (young ? ", and" : ":") + " validation still improving (best "
                + PolicyMath.fmt(trial.plateau.deltaBest) + ")" : "");
    }

    private Reaction decide(Alert alert, TrialState trial, StudyState study) {
        if (Alert.ACTION_DECAY_LR.equals(alert.suggestedAction()) || Alert.ACTION_RAISE_LR.equals(alert.suggestedAction())) {
            return rateCause(alert, trial, study, Alert.ACTION_RAISE_LR.equals(alert.suggestedAction()));
        }
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
        return stopOrSteer(detail, adjustments, null);
    }

    /** The learning rate holds the trial back: move the rate's range (and raise it, or retry at another rate), not the model's. */
    private Reaction rateCause(Alert alert, TrialState trial, StudyState study, boolean raise) {
        Double rate = currentRate(trial, alert);
        ParamSpec lr = study.space.get(TrainerParameters.LEARNING_RATE);
        String cause = raise ? "the learning rate is too low" + evidence(alert, "smoothedUpdateRatio", "update ratio ")
                : "the learning rate is too high" + evidence(alert, "validationAccuracySwing", "validation accuracy swings by ");
        String head = "underfitting at step " + alert.step() + " is the learning rate's, not the model's (the monitor "
                + "suggests " + alert.suggestedAction() + ": " + cause + ")";
        boolean steerable = rate != null && lr != null && lr.isNumeric();
        List<Reaction.Adjustment> adjustments = new ArrayList<>();
        String why = rate == null ? null : "trial " + trial.trialId + " underfitted " + (raise ? "with updates too small"
                : "oscillating") + " at learning rate " + Ranges.fmt(rate);
        String noRaise = "";
        if (raise && rate != null) {
            String steer = "";
            if (steerable) {
                adjustments.add(new Reaction.Adjustment(TrainerParameters.LEARNING_RATE, Reaction.Adjustment.RAISE_FLOOR,
                        rate, null, why));
                steer = "; later trials sample rates at or above " + Ranges.fmt(rate);
            }
            // The trial goes on at a higher rate (a steered run too: it has no space, only its rate).
            RateRaise.Result raised = this.raise.raise(alert, trial, study);
            if (raised.raised()) {
                return new Reaction(NAME, Decision.SET_LEARNING_RATE, raised.rate(), head + "; " + raised.detail()
                        + " instead of a stop" + steer + "; model size and regularisation left as they are",
                        adjustments, null);
            }
            if (raised.waits()) {
                return Reaction.ignore(NAME, head + "; " + raised.detail());
            }
            noRaise = "; no raise: " + raised.detail();
        }
        if (!steerable) {
            return stopOrSteer(head + noRaise + "; " + (rate == null ? "the trial's rate is unknown"
                    : "the space has no numeric learning rate") + ": nothing to steer; model size and regularisation "
                    + "left as they are", List.of(), null);
        }
        Map<String, Object> remedy;
        String steer;
        if (raise) {
            remedy = withParam(trial, study, TrainerParameters.LEARNING_RATE, rate / settings.remedyLearningRateFactor());
            steer = "later trials sample rates at or above " + Ranges.fmt(rate);
        } else {
            double ceiling = rate * settings.divergenceCeilingFactor();
            adjustments.add(new Reaction.Adjustment(TrainerParameters.LEARNING_RATE, Reaction.Adjustment.LOWER_CEILING,
                    ceiling, null, why));
            remedy = withParam(trial, study, TrainerParameters.LEARNING_RATE, rate * settings.remedyLearningRateFactor());
            steer = "later trials sample rates below " + Ranges.fmt(ceiling);
        }
        return stopOrSteer(head + noRaise + "; " + steer + "; model size and regularisation left as they are", adjustments, remedy);
    }

    /** Stop (with the remedy trial) when underfitting stops trials, else only steer the space. */
    private Reaction stopOrSteer(String detail, List<Reaction.Adjustment> adjustments, Map<String, Object> remedy) {
        if (settings.stopOnUnderfitting()) {
            return stop(NAME, detail, adjustments, remedy);
        }
        return new Reaction(NAME, adjustments.isEmpty() ? Decision.IGNORE : Decision.ADJUST_SPACE, null, detail,
                adjustments, null);
    }

    private static String evidence(Alert alert, String key, String label) {
        Double v = alert.evidence() == null ? null : alert.evidence().get(key);
        return v == null || !Double.isFinite(v) ? "" : ", " + label + Ranges.fmt(v);
    }
}
