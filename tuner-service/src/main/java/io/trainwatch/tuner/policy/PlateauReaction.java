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

import java.util.List;
import java.util.Set;

import static io.trainwatch.tuner.policy.PolicyMath.currentRate;
import static io.trainwatch.tuner.policy.PolicyMath.fmt;
import static io.trainwatch.tuner.policy.PolicyMath.rateFromAlert;
import static io.trainwatch.tuner.policy.PolicyMath.stop;

/**
 * {@code plateau}: decay the learning rate by a factor, with a cooldown and a floor (Keras
 * {@code ReduceLROnPlateau}: factor, cooldown, min_lr, min_delta); after several decays with no improvement
 * of the best value, or at the floor, stop. While the trial's validation objective still improves, the decay
 * is deferred and reconsidered at the next validation ({@link #reconsider}): Keras' callback watches
 * {@code val_loss} by default, and a decay answers a plateau of the validation metric, not of the training
 * loss alone.
 * <p>
 * The floor of a decay is the largest of the policy's {@link PolicySettings#minLearningRate()}, the run's own
 * {@code control.minLearningRate} and the lower bound of the study's current learning-rate range (after the
 * preflight's range test, narrowing and remedies: Smith 2017's range test gives the least rate at which training
 * still makes progress, and a narrowed range the span of the best trials' rates). A decay that would cross the study's bound goes to it; a rate already at (or below) it is
 * kept, and the decision says why. A plateau alert whose {@code suggestedAction} is {@code raise-learning-rate}
 * (the monitor found the updates too small for the weights) is never answered by a decay: the rate is raised
 * instead ({@link RateRaise}: x3 within the study's range, at most twice), or kept when it may not be.
 */
public final class PlateauReaction implements AlertReaction {

    private static final String NAME = DetectorName.PLATEAU.id();

    private final PolicySettings settings;
    private final RateRaise raise;

    public PlateauReaction(PolicySettings settings) {
        this.settings = settings;
        this.raise = new RateRaise(settings);
    }

    @Override
    public Set<DetectorName> detectors() {
        return Set.of(DetectorName.PLATEAU);
    }

    @Override
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
        Double fromAlert = rateFromAlert(alert);
        clearDeferred(trial);
        if (Alert.ACTION_RAISE_LR.equals(alert.suggestedAction())) {
            Double ratio = alert.evidence() == null ? null : alert.evidence().get("smoothedUpdateRatio");
            String cause = "the monitor suggests raising the learning rate (updates too small"
                    + (ratio == null || !Double.isFinite(ratio) ? "" : ", update ratio " + Ranges.fmt(ratio)) + ")";
            RateRaise.Result raised = raise.raise(alert, trial, study);
            if (raised.raised()) {
                return new Reaction(NAME, Decision.SET_LEARNING_RATE, raised.rate(), "no decay: " + cause + "; "
                        + raised.detail(), List.of(), null);
            }
            Double rate = currentRate(trial, fromAlert);
            return Reaction.ignore(NAME, "no decay: " + cause + ", and a smaller rate would only flatten the curve "
                    + "further; no raise either: " + raised.detail() + "; rate "
                    + (rate == null ? "unknown" : Ranges.fmt(rate)) + " kept");
        }
        return decay(alert.alertId(), alert.step(), fromAlert, trial, study, null);
    }

    /**
     * Follows the trial's validation objective (call at each finite validation value, before
     * {@link #reconsider}): counts the validations and remembers the last one that raised the best by more
     * than the validation min-delta. The first value is the baseline, not an improvement.
     */
    public void observeValidation(TrialState trial, StudyState study, double value) {
        PlateauState p = trial.plateau;
        if (!Double.isFinite(value)) {
            return;
        }
        p.validations++;
        if (p.deltaBest == null) {
            p.deltaBest = value;
        } else if (study.spec.objective().better(value, p.deltaBest, settings.validationMinDelta())) {
            p.deltaBest = value;
            p.lastImprovingValidation = p.validations;
        }
    }

    /** Whether the trial's validation objective rose (by more than the min-delta) at one of its last validations. */
    public boolean validationImproving(TrialState trial) {
        PlateauState p = trial.plateau;
        return p.lastImprovingValidation > 0
                && p.validations - p.lastImprovingValidation < settings.validationPatience();
    }

    /**
     * Reconsiders a deferred plateau decision at a validation (step {@code step}): null while the trial's
     * validation objective still improves (the decision stays deferred), else the plateau reaction, now
     * decided. Null too when nothing is deferred.
     */
    public Reaction reconsider(TrialState trial, StudyState study, long step) {
        PlateauState p = trial.plateau;
        if (p.deferredPlateauAlertId == null || validationImproving(trial)) {
            return null;
        }
        long alertStep = p.deferredPlateauStep == null ? step : p.deferredPlateauStep;
        Double fromAlert = p.deferredPlateauRate;
        String alertId = p.deferredPlateauAlertId;
        clearDeferred(trial);
        return decay(alertId, step, fromAlert, trial, study, "reconsidered at the validation of step " + step
                + " (plateau alert of step " + alertStep + "): validation no longer improving; ");
    }

    /** Forgets a deferred plateau decision (its alert resolved, or a newer plateau alert came). */
    public static void clearDeferred(TrialState trial) {
        PlateauState p = trial.plateau;
        p.deferredPlateauAlertId = null;
        p.deferredPlateauStep = null;
        p.deferredPlateauRate = null;
    }

    private Reaction decay(String alertId, long step, Double rateFromAlert, TrialState trial, StudyState study,
                           String prefix) {
        PlateauState p = trial.plateau;
        String pre = prefix == null ? "" : prefix;
        Double rate = currentRate(trial, rateFromAlert);
        if (rate == null) {
            return Reaction.ignore(NAME, pre + "the trial's learning rate is unknown: cannot decay it");
        }
        if (p.lastDecayStep != null) {
            long cooldown = (long) Math.ceil(settings.plateauCooldownSteps() * p.waitMultiplier);
            if (step < p.lastDecayStep + cooldown) {
                return Reaction.ignore(NAME, pre + "in cooldown: " + (step - p.lastDecayStep) + " of "
                        + cooldown + " steps since the last decay at step " + p.lastDecayStep);
            }
        }
        if (prefix == null && settings.deferWhileImproving() && validationImproving(trial)) {
            p.deferredPlateauAlertId = alertId;
            p.deferredPlateauStep = step;
            p.deferredPlateauRate = rateFromAlert;
            int ago = p.validations - p.lastImprovingValidation;
            String when = ago == 0 ? "at the last validation" : ago + (ago == 1 ? " validation ago" : " validations ago");
            return new Reaction(NAME, Decision.DEFERRED, null, "deferred: validation still improving (best "
                    + fmt(p.deltaBest) + " reached " + when + ", within " + settings.validationPatience()
                    + "); learning rate " + Ranges.fmt(rate) + " kept, reconsidered at the next validation",
                    List.of(), null);
        }
        double floor = p.minLearningRate == null ? settings.minLearningRate()
                : Math.max(p.minLearningRate, settings.minLearningRate());
        // A rate kept at the study's floor is no decay: checked before the count of decays without improvement.
        Double studyFloor = studyFloor(study);
        if (studyFloor != null && studyFloor > floor && rate <= studyFloor * (1 + 1e-9)) {
            return Reaction.ignore(NAME, pre + "no decay: the learning rate " + Ranges.fmt(rate)
                    + " is at the floor of the study's current range (" + Ranges.fmt(studyFloor)
                    + "): the search no longer tries rates below it (the range test's low end or the best trials' span); rate kept");
        }
        if (p.decays > 0) {
            boolean improved = study.spec.objective().better(trial.best, p.bestAtLastDecay, settings.minImprovement());
            p.decaysWithoutImprovement = improved ? 0 : p.decaysWithoutImprovement + 1;
        }
        if (p.decaysWithoutImprovement >= settings.maxDecaysWithoutImprovement()) {
            return stop(NAME, pre + "still on a plateau after " + p.decaysWithoutImprovement
                    + " learning-rate decays with no improvement of the best value (" + fmt(trial.best) + ")",
                    List.of(), null);
        }
        if (p.maxDecays != null && p.decays >= p.maxDecays) {
            return Reaction.ignore(NAME, pre + "the run allows at most " + p.maxDecays
                    + " learning-rate decays (control.maxDecays): rate " + Ranges.fmt(rate) + " kept");
        }
        boolean atStudyFloor = studyFloor != null && studyFloor > floor && rate * settings.plateauFactor() < studyFloor;
        if (atStudyFloor) {
            floor = studyFloor;
        }
        double next = Math.max(rate * settings.plateauFactor(), floor);
        if (next >= rate * (1 - 1e-9)) {
            return stop(NAME, pre + "on a plateau with the learning rate at its floor " + Ranges.fmt(rate), List.of(), null);
        }
        p.previousLearningRate = rate;
        trial.learningRate = next;
        p.decays++;
        p.bestAtLastDecay = trial.best;
        p.lastDecayStep = step;
        return new Reaction(NAME, Decision.SET_LEARNING_RATE, next, pre + "learning rate " + Ranges.fmt(rate) + " -> "
                + Ranges.fmt(next) + (atStudyFloor ? " (x" + settings.plateauFactor() + " would cross the floor of the "
                + "study's current range: decayed to that floor instead" : " (x" + settings.plateauFactor())
                + ", decay " + p.decays + ")", List.of(), null);
    }

    /**
     * The lower bound of the study's current learning-rate range, when the study searches the rate: a range that
     * holds one value (the user fixed the rate) says nothing about which lower rates work, so it sets no floor and
     * the plateau decays as Keras' ReduceLROnPlateau would.
     */
    private static Double studyFloor(StudyState study) {
        ParamSpec lr = study.space == null ? null : study.space.get(TrainerParameters.LEARNING_RATE);
        if (lr == null || !lr.isNumeric() || lr.min() == null || !(lr.min() > 0)) {
            return null;
        }
        return lr.max() != null && lr.max() <= lr.min() ? null : lr.min();
    }
}
