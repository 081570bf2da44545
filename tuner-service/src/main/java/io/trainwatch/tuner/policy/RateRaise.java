package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.PlateauState;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

/**
 * Raises a running trial's (or steered run's) learning rate when the monitor finds it too low: its plateau or
 * underfitting alert suggests {@code raise-learning-rate} (update:parameter ratios far under the ~1e-3 the DL4J
 * training UI calls healthy, while the gradients still reach the first layer). The new rate is the rate x
 * {@link PolicySettings#raiseFactor()}, at least the floor of the study's current learning-rate range and at most its
 * ceiling (the range after the preflight, narrowing and divergences: rates above it are known to fail); at most
 * {@link PolicySettings#maxRaises()} raises per trial, one plateau cooldown apart. A range of one value (the user
 * fixed the rate) and a steered run outside a study have no ceiling: the factor and the count bound the raise.
 * <p>
 * Its outcome is told once, {@link PolicySettings#validationPatience()} validations after the raise: whether the
 * best value rose since ({@link #outcome}).
 */
final class RateRaise {

    /** What a raise came to: {@code rate} is the new rate when raised, null otherwise; {@code waits} asks for patience. */
    record Result(Double rate, boolean waits, String detail) {
        boolean raised() {
            return rate != null;
        }
    }

    private final PolicySettings settings;

    RateRaise(PolicySettings settings) {
        this.settings = settings;
    }

    /** Raises the trial's rate (updating its bookkeeping) if it may; else says why not, and whether to wait. */
    Result raise(Alert alert, TrialState trial, StudyState study) {
        PlateauState p = trial.plateau;
        Double rate = PolicyMath.currentRate(trial, alert);
        if (rate == null) {
            return new Result(null, false, "the trial's learning rate is unknown: cannot raise it");
        }
        if (p.lastRaiseStep != null) {
            long cooldown = (long) Math.ceil(settings.plateauCooldownSteps() * p.waitMultiplier);
            if (alert.step() < p.lastRaiseStep + cooldown) {
                return new Result(null, true, "the rate was raised at step " + p.lastRaiseStep + " (" + (alert.step()
                        - p.lastRaiseStep) + " of " + cooldown + " steps ago): waiting for it to act");
            }
        }
        if (p.raises >= settings.maxRaises()) {
            return new Result(null, false, "the rate was raised " + p.raises + " time" + (p.raises == 1 ? "" : "s")
                    + " already (at most " + settings.maxRaises() + ")");
        }
        ParamSpec lr = study.space == null ? null : study.space.get(TrainerParameters.LEARNING_RATE);
        boolean searched = lr != null && lr.isNumeric() && lr.min() != null && lr.max() != null && lr.max() > lr.min();
        double next = rate * settings.raiseFactor();
        String bound = "x" + Ranges.fmt(settings.raiseFactor());
        if (searched && next < lr.min()) {
            next = lr.min();
            bound = "to the floor of the study's current range";
        }
        if (searched && next > lr.max()) {
            next = lr.max();
            bound = "capped at the ceiling of the study's current range";
        }
        if (next <= rate * (1 + 1e-9)) {
            return new Result(null, false, "the rate " + Ranges.fmt(rate) + " is at the ceiling of the study's current range ("
                    + Ranges.fmt(lr.max()) + "): cannot raise it");
        }
        p.previousLearningRate = rate;
        trial.learningRate = next;
        p.raises++;
        p.lastRaiseStep = alert.step();
        // A decay right after the raise would undo it: the plateau's cooldown starts again too.
        p.lastDecayStep = alert.step();
        p.bestAtLastRaise = trial.best;
        p.validationsAtLastRaise = p.validations;
        return new Result(next, false, "learning rate " + Ranges.fmt(rate) + " -> " + Ranges.fmt(next) + " (" + bound
                + ", raise " + p.raises + " of at most " + settings.maxRaises() + ")");
    }

    /**
     * The outcome of the last raise, once, when {@link PolicySettings#validationPatience()} validations came after it
     * (call after {@code observeValidation}); null before, and after it was told.
     */
    String outcome(TrialState trial, StudyState study) {
        PlateauState p = trial.plateau;
        if (p.validationsAtLastRaise == null || p.validations - p.validationsAtLastRaise < settings.validationPatience()) {
            return null;
        }
        int after = p.validations - p.validationsAtLastRaise;
        Double before = p.bestAtLastRaise;
        p.validationsAtLastRaise = null;
        p.bestAtLastRaise = null;
        boolean improved = trial.best != null && (before == null
                || study.spec.objective().better(trial.best, before, settings.minImprovement()));
        return "the learning-rate raise of step " + p.lastRaiseStep + (improved ? " helped: the best value rose from " + PolicyMath.fmt(before) + " to "
                + PolicyMath.fmt(trial.best) : " did not help: the best value stayed at " + PolicyMath.fmt(before))
                + " in the " + after + " validations since";
    }
}
