package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.trainwatch.tuner.policy.PolicyMath.intoCurrentRanges;
import static io.trainwatch.tuner.policy.PolicyMath.stop;

/**
 * {@code vanishing-gradients} and {@code bad-initialization}: stop the trial; favour ReLU-family activations
 * and He/Xavier initialisation where the space allows (Glorot and Bengio 2010; He et al. 2015), and propose a
 * remedy trial with them.
 */
public final class VanishingGradientsReaction implements AlertReaction {

    @Override
    public Set<DetectorName> detectors() {
        return Set.of(DetectorName.VANISHING_GRADIENTS, DetectorName.BAD_INITIALIZATION);
    }

    @Override
    public Reaction react(Alert alert, TrialState trial, StudyState study) {
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
}
