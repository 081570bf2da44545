package io.trainwatch.tuner.engine;

import io.trainwatch.events.RunFinished;
import io.trainwatch.events.Trial;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.MutableClock;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.trainwatch.tuner.Fixtures.alert;
import static io.trainwatch.tuner.Fixtures.finished;
import static io.trainwatch.tuner.Fixtures.validation;
import static org.assertj.core.api.Assertions.assertThat;

/** The next round narrows around the trials that trained long enough and were not stopped for a pathology. */
class NarrowingAnchorsTest {

    final MutableClock clock = new MutableClock(Fixtures.T0);
    final StudyEngine engine = new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(), clock);

    @Test
    void anEarlyStoppedTrialAndAPathologyStopDoNotAnchorTheNextRound() {
        List<Trial> round0 = engine.create("s", Fixtures.spec(6, 3, 100, 2)).trials();
        assertThat(round0).extracting(Trial::trialId).containsExactly("t000", "t001", "t002");
        // t000: one lucky validation, then stopped by its trainer at step 26
        engine.onEvent(validation("s-t000", 26, 0, 0.99, 0.1));
        engine.onEvent(finished("s-t000", RunFinished.STOPPED, 26));
        // t001: a good value, then a bad-initialization stop
        engine.onEvent(validation("s-t001", 99, 1, 0.95, 0.1));
        engine.onAlert(alert("s-t001", "bad-initialization", 99));
        engine.onEvent(finished("s-t001", RunFinished.STOPPED, 99));
        // t002: trained its budget to a mediocre value: the only anchor
        engine.onEvent(validation("s-t002", 99, 1, 0.6, 0.9));
        List<Trial> next = new java.util.ArrayList<>(engine.onEvent(finished("s-t002", RunFinished.COMPLETED, 100)).trials());
        StudyState s = engine.study("s").orElseThrow();
        assertThat(s.rounds).hasSize(2);
        assertThat(s.rounds.get(1).how()).isEqualTo("narrowed around the top 1 trials [t002]; not anchoring: "
                + "t000 (trained 27 of 100 steps), t001 (stopped for bad-initialization)");
        assertThat(s.decisions).filteredOn(d -> Decision.NARROW.equals(d.action())).singleElement()
                .satisfies(d -> assertThat(d.detail()).contains("not anchoring: t000"));
        ParamSpec lr = s.rounds.get(1).initialSpace().get("learningRate");
        double anchor = (double) round0.get(2).hyperparameters().get("learningRate");
        double lucky = (double) round0.get(0).hyperparameters().get("learningRate");
        assertThat(anchor).isBetween(lr.min(), lr.max());
        // one anchor: the range keeps 10 % of the log width around it; the lucky trial's rate (seeded) lies outside
        assertThat(lucky < lr.min() || lucky > lr.max()).as("lucky rate %s outside %s", lucky, lr).isTrue();
        assertThat(next).isNotEmpty().allSatisfy(t -> assertThat(t.origin()).isIn(Trial.REFINE, Trial.REMEDY));
    }
}
