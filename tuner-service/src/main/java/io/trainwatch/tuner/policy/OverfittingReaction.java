package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.trainwatch.tuner.policy.PolicyMath.clip;
import static io.trainwatch.tuner.policy.PolicyMath.fmt;
import static io.trainwatch.tuner.policy.PolicyMath.number;
import static io.trainwatch.tuner.policy.PolicyMath.stop;

/**
 * {@code overfitting}: stop the trial (early stopping: the trial keeps its best validation point); raise the
 * floors of L2 and dropout to the trial's values and propose a remedy trial with stronger regularisation.
 */
public final class OverfittingReaction implements AlertReaction {

    private final PolicySettings settings;

    public OverfittingReaction(PolicySettings settings) {
        this.settings = settings;
    }

    @Override
    public Set<DetectorName> detectors() {
        return Set.of(DetectorName.OVERFITTING);
    }

    @Override
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
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
        return stop(DetectorName.OVERFITTING.id(), "overfitting at step " + alert.step() + "; early stop keeps the "
                + where, adjustments, changed ? remedy : null);
    }
}
