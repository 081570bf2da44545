package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.search.Ranges;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.ParamSpec;
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
 * {@code divergence} and {@code exploding-gradients}: stop the trial; lower the study's learning-rate ceiling
 * below the diverging rate; propose a remedy trial at a smaller rate (Keras' decay factor 0.1).
 */
public final class DivergenceReaction implements AlertReaction {

    private final PolicySettings settings;

    public DivergenceReaction(PolicySettings settings) {
        this.settings = settings;
    }

    @Override
    public Set<DetectorName> detectors() {
        return Set.of(DetectorName.DIVERGENCE, DetectorName.EXPLODING_GRADIENTS);
    }

    @Override
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
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
}
