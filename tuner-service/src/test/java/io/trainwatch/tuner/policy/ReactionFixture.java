package io.trainwatch.tuner.policy;

import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import org.junit.jupiter.api.BeforeEach;

import java.util.LinkedHashMap;
import java.util.Map;

/** A running trial of a study with the default policy, for the tests of the reactions. */
abstract class ReactionFixture {

    final AlertPolicy policy = new AlertPolicy(PolicySettings.defaults());
    StudyState study;
    TrialState trial;

    @BeforeEach
    void setUp() {
        study = new StudyState();
        study.id = "s";
        study.spec = Fixtures.spec(10, 2, 100, 2);
        study.space = new LinkedHashMap<>(study.spec.space());
        trial = new TrialState();
        trial.trialId = "t000";
        trial.runId = "s-t000";
        trial.params = new LinkedHashMap<>(Map.of("learningRate", 0.1, "l2", 1e-5, "dropout", 0.1, "width", 16,
                "activation", "sigmoid", "weightInit", "normal"));
        trial.learningRate = 0.1;
    }
}
