package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.trainwatch.tuner.policy.PolicyMath.number;
import static io.trainwatch.tuner.policy.PolicyMath.stop;

/**
 * {@code underfitting}: later trials favour larger models and weaker regularisation (CS231n's reading of the
 * curves: training and validation close and both mediocre); the trial itself is stopped unless
 * {@link PolicySettings#stopOnUnderfitting()} is off (BTTackler's diagnosis-driven termination).
 */
public final class UnderfittingReaction implements AlertReaction {

    private static final String NAME = DetectorName.UNDERFITTING.id();

    private final PolicySettings settings;

    public UnderfittingReaction(PolicySettings settings) {
        this.settings = settings;
    }

    @Override
    public Set<DetectorName> detectors() {
        return Set.of(DetectorName.UNDERFITTING);
    }

    @Override
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
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
            return stop(NAME, detail, adjustments, null);
        }
        return new Reaction(NAME, adjustments.isEmpty() ? Decision.IGNORE : Decision.ADJUST_SPACE, null, detail,
                adjustments, null);
    }
}
