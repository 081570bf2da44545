package io.trainwatch.tuner.engine;

import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

/**
 * Records the engine's decisions on a trial or a study, bounded by {@link EngineSettings#maxDecisionsPerTrial()}
 * and {@link EngineSettings#maxStudyDecisions()}, and reports the new ones in the {@link Effects}.
 */
final class DecisionLog {

    /** The policy name of decisions about commands (retries, confirmations). */
    static final String COMMAND = "command";

    private final EngineSettings settings;

    DecisionLog(EngineSettings settings) {
        this.settings = settings;
    }

    void trial(TrialState t, Effects fx, Decision d) {
        t.addDecision(d, settings.maxDecisionsPerTrial());
        fx.decision(d);
    }

    /** A study decision; one about a command is already reported on its trial and is not counted twice. */
    void study(StudyState s, Effects fx, Decision d) {
        s.addDecision(d, settings.maxStudyDecisions());
        if (!COMMAND.equals(d.policy())) {
            fx.decision(d);
        }
    }
}
