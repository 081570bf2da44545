package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The registry of the tuner's reactions to alerts, keyed by {@link DetectorName}: a firing alert on a running
 * trial (or steered run) goes to the reaction registered for its detector, one class each:
 * <ul>
 *   <li>{@link PlateauReaction}: decay the rate (deferred while validation still improves; never below the study's
 *   current range), or raise it when the monitor suggests raising it ({@link RateRaise});</li>
 *   <li>{@link LrDecayedTooEarlyReaction}: raise the rate back once, then wait longer before decaying;</li>
 *   <li>{@link DivergenceReaction} ({@code divergence}, {@code exploding-gradients}): stop, lower the ceiling;</li>
 *   <li>{@link VanishingGradientsReaction} ({@code vanishing-gradients}, {@code bad-initialization}): stop,
 *   favour ReLU-family activations and He/Xavier initialisation;</li>
 *   <li>{@link OverfittingReaction}: stop (early stopping), favour stronger L2/dropout;</li>
 *   <li>{@link UnderfittingReaction}: favour larger models and weaker regularisation, or move the learning rate's
 *   range when the alert's suggested action names the rate as the cause (and raise a rate too low mid-trial).</li>
 * </ul>
 * A detector with no registered reaction (one the contract added later) is ignored, with the reason.
 */
public final class AlertPolicy {

    /** The policy name of a raise's outcome decision: the monitor's suggested action it followed. */
    public static final String RAISE = Alert.ACTION_RAISE_LR;

    private final PolicySettings settings;
    private final PlateauReaction plateau;
    private final UnderfittingReaction underfitting;
    private final RateRaise raise;
    private final Map<DetectorName, AlertReaction> byDetector = new EnumMap<>(DetectorName.class);

    public AlertPolicy(PolicySettings settings) {
        this.settings = settings;
        this.plateau = new PlateauReaction(settings);
        this.underfitting = new UnderfittingReaction(settings);
        this.raise = new RateRaise(settings);
        for (AlertReaction r : List.of(plateau, new LrDecayedTooEarlyReaction(settings), new DivergenceReaction(settings),
                new VanishingGradientsReaction(), new OverfittingReaction(settings), underfitting)) {
            for (DetectorName d : r.detectors()) {
                if (byDetector.put(d, r) != null) {
                    throw new IllegalStateException("two reactions for detector " + d.id());
                }
            }
        }
    }

    public PolicySettings settings() {
        return settings;
    }

    /** The reaction registered for each detector. */
    public Map<DetectorName, AlertReaction> reactions() {
        return Collections.unmodifiableMap(byDetector);
    }

    /** The reaction registered for a detector id, if any. */
    public Optional<AlertReaction> reactionFor(String detector) {
        return DetectorName.fromId(detector).map(byDetector::get);
    }

    /** The reaction to a firing alert on an active trial of a running study. */
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
        return reactionFor(alert.detector()).map(r -> r.react(alert, trial, study))
                .orElseGet(() -> Reaction.ignore(alert.detector(), "no policy for detector '" + alert.detector() + "'"));
    }

    /** See {@link PlateauReaction#observeValidation}. */
    public void observeValidation(TrialState trial, StudyState study, double value) {
        plateau.observeValidation(trial, study, value);
    }

    /**
     * The outcome of the trial's last learning-rate raise, once enough validations followed it (a sentence for the
     * decision log), else null; see {@link RateRaise#outcome}. Call after {@link #observeValidation}.
     */
    public String raiseOutcome(TrialState trial, StudyState study) {
        return raise.outcome(trial, study);
    }

    /** See {@link PlateauReaction#validationImproving}. */
    public boolean validationImproving(TrialState trial) {
        return plateau.validationImproving(trial);
    }

    /** See {@link PlateauReaction#reconsider}. */
    public Reaction reconsider(TrialState trial, StudyState study, long step) {
        return plateau.reconsider(trial, study, step);
    }

    /** See {@link UnderfittingReaction#reconsider}. */
    public Reaction reconsiderUnderfitting(TrialState trial, StudyState study, long step, java.time.Instant at) {
        return underfitting.reconsider(trial, study, step, at);
    }

    /** Forgets a deferred plateau decision (its alert resolved, or a newer plateau alert came). */
    public static void clearDeferred(TrialState trial) {
        PlateauReaction.clearDeferred(trial);
    }

    /** Forgets a deferred underfitting stop (its alert resolved, or the trial ended). */
    public static void clearDeferredUnderfitting(TrialState trial) {
        UnderfittingReaction.clearDeferred(trial);
    }
}
