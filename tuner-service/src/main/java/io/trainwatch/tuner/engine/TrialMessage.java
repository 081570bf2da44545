package io.trainwatch.tuner.engine;

import io.trainwatch.events.Contract;
import io.trainwatch.events.Trial;
import io.trainwatch.tuner.search.TrainerParameters;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code tuner.trials} message of a trial of a study. */
final class TrialMessage {

    private TrialMessage() {
    }

    /** The trial message for a trial of a study; the same for the same state (used again after a restart). */
    static Trial of(StudyState s, TrialState t) {
        Map<String, Object> base = new LinkedHashMap<>(s.spec.model());
        if (s.spec.dataset() != null) {
            base.put("dataset", s.spec.dataset());
        }
        // The trainer refuses initStd beside an initialisation that has no spread (He, Xavier...): a trial (or a
        // remedy) that switches a normal/uniform base to such an init drops the base's initStd.
        Object init = t.params.get(TrainerParameters.WEIGHT_INIT);
        if (init != null && !"normal".equals(String.valueOf(init)) && !"uniform".equals(String.valueOf(init))) {
            base.remove("initStd");
        }
        // A preflight step reads every step: the overfit check counts consecutive steps at accuracy 1.0 and the
        // range test wants a point per rate, so a base that publishes every N-th step would fail them.
        if (Trial.PREFLIGHT.equals(t.origin)) {
            base.remove("sampleEvery");
        }
        // The range test's ramp replaces any schedule of the base model.
        if (t.params.containsKey(TrainerParameters.SCHEDULE)) {
            base.remove("lrSchedule");
            base.remove(TrainerParameters.SCHEDULE);
        }
        return new Trial(Contract.SCHEMA_VERSION, s.id, t.trialId, t.runId,
                TrainerParameters.forTrainer(t.params, s.spec.model(), t.seed), new Trial.Budget(t.maxSteps, null),
                t.origin, base, t.createdAt);
    }

    /** The learning rate a trial starts with: its point's, else the base model's; null when unknown. */
    static Double startRate(StudyState s, Map<String, Object> params) {
        Object lr = params.containsKey(TrainerParameters.LEARNING_RATE) ? params.get(TrainerParameters.LEARNING_RATE)
                : s.spec.model().get(TrainerParameters.LEARNING_RATE);
        return lr instanceof Number n && n.doubleValue() > 0 ? n.doubleValue() : null;
    }
}
