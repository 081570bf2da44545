package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.MutableClock;
import io.trainwatch.tuner.api.LeaderboardText;
import io.trainwatch.tuner.api.StudyView;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;
import io.trainwatch.tuner.preflight.InitialLossStep;
import io.trainwatch.tuner.preflight.PreflightSpec;
import io.trainwatch.tuner.preflight.PreflightState;
import io.trainwatch.tuner.preflight.RangeTestStep;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyJson;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.trainwatch.tuner.Fixtures.alert;
import static io.trainwatch.tuner.Fixtures.finished;
import static io.trainwatch.tuner.Fixtures.runStarted;
import static io.trainwatch.tuner.Fixtures.step;
import static org.assertj.core.api.Assertions.assertThat;

/** The preflight of a study in the engine: steps in order, their verdicts, the chosen range, failures, restarts. */
class PreflightEngineTest {

    static final String P1 = "s1-p1-initial-loss";
    static final String P2 = "s1-p2-overfit-subset";
    static final String P3 = "s1-p3-lr-range-test";

    final MutableClock clock = new MutableClock(Fixtures.T0);

    StudyEngine engine() {
        return new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(), clock);
    }

    static StudySpec spec(PreflightSpec preflight) {
        StudySpec base = Fixtures.spec(4, 2, 100, 2);
        return new StudySpec(base.name(), base.objective(), base.space(), base.budget(), base.dataset(), base.model(),
                base.seed(), base.remedies(), base.reactions(), preflight);
    }

    static PreflightSpec preflight(String onFailure) {
        return new PreflightSpec(new PreflightSpec.InitialLoss(5, 3, onFailure), new PreflightSpec.OverfitSubset(5, 60, onFailure),
                new PreflightSpec.LrRangeTest(1e-6, 10, 200, 0.9, 4), Map.of("activation", "relu"));
    }

    /** Steps 1 and 2 pass; returns the effects of the step that passed step 2. */
    static Effects passFirstTwo(StudyEngine e) {
        e.onEvent(runStarted(P1, 3, "cross-entropy"));
        Effects fx = e.onEvent(step(P1, 0, 1.12, 0.3, 0.01));
        assertThat(fx.trials()).extracting(Trial::runId).containsExactly(P2);
        e.onEvent(runStarted(P2, 3, "cross-entropy"));
        for (int i = 0; i < 4; i++) {
            assertThat(e.onEvent(step(P2, i, 0.1, 1.0, 0.01)).trials()).isEmpty();
        }
        return e.onEvent(step(P2, 4, 0.1, 1.0, 0.01));
    }

    /** Feeds the range test the curve of {@code RangeTestStepTest} from step {@code from}; the effects of the last step. */
    static Effects ramp(StudyEngine e, long from, long to) {
        RangeTestStep ramp = new RangeTestStep();
        ramp.maxSteps = 200;
        Effects last = null;
        for (long i = from; i < to; i++) {
            double r = ramp.rateAt(i);
            last = e.onEvent(step(P3, i, 0.1 + 1.0 / (1 + Math.pow(r / 1e-3, 2)) + (r > 0.3 ? 10 * Math.pow(r / 0.3 - 1, 2) : 0),
                    0.5, r));
            if (!last.commands().isEmpty()) {
                return last;
            }
        }
        return last;
    }

    @Test
    void aHealthyStudyRunsTheThreeStepsInOrderThenSearchesTheChosenRange() {
        StudyEngine e = engine();
        Effects fx = e.create("s1", spec(preflight("stop")));
        assertThat(fx.trials()).hasSize(1);
        Trial p1 = fx.trials().get(0);
        assertThat(p1.runId()).isEqualTo(P1);
        assertThat(p1.origin()).isEqualTo(Trial.PREFLIGHT);
        assertThat(p1.budget().maxSteps()).isEqualTo(5);
        assertThat(p1.hyperparameters()).containsEntry("l2", 0.0).containsEntry("dropout", 0.0)
                .containsEntry("activation", "relu").containsEntry("width", 68).containsKey("seed");
        assertThat((double) p1.hyperparameters().get("learningRate")).isCloseTo(0.01, org.assertj.core.api.Assertions.within(1e-12));
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.preflight.initialLoss.status).isEqualTo(PreflightState.RUNNING);
        assertThat(s.preflight.overfitSubset.status).isEqualTo(PreflightState.PENDING);

        fx = passFirstTwo(e);
        assertThat(s.preflight.initialLoss.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.preflight.initialLoss.expected).isCloseTo(Math.log(3), org.assertj.core.api.Assertions.within(1e-12));
        assertThat(s.preflight.overfitSubset.status).isEqualTo(PreflightState.PASSED);
        assertThat(s.preflight.overfitSubset.stepsTo100).isEqualTo(5);
        // Step 2's trial is stopped (it would run to its cap); step 3's trial ramps the rate.
        assertThat(fx.commands()).extracting(TunerCommand::runId, TunerCommand::type).containsExactly(
                org.assertj.core.groups.Tuple.tuple(P2, TunerCommand.STOP));
        assertThat(fx.trials()).hasSize(1);
        Trial p3 = fx.trials().get(0);
        assertThat(p3.runId()).isEqualTo(P3);
        assertThat(p3.budget().maxSteps()).isEqualTo(200);
        assertThat(p3.hyperparameters()).containsEntry("schedule", Map.of("type", "range", "from", 1e-6, "to", 10.0,
                "steps", 200L)).containsEntry("learningRate", 1e-6);
        assertThat(p3.hyperparameters().get("l2")).isNotEqualTo(0.0);

        // An alert on a preflight trial (the range test diverges on purpose) changes nothing in the search.
        e.onEvent(runStarted(P3, 3, "cross-entropy"));
        Map<String, ParamSpec> before = Map.copyOf(s.space);
        Effects onAlert = e.onAlert(alert(P3, DetectorName.DIVERGENCE.id(), 150));
        assertThat(onAlert.commands()).isEmpty();
        assertThat(onAlert.trials()).isEmpty();
        assertThat(s.space).isEqualTo(before);
        assertThat(s.remedyQueue).isEmpty();
        assertThat(s.trial("p3-lr-range-test").orElseThrow().decisions).extracting(Decision::action).containsExactly(Decision.IGNORE);

        Effects end = ramp(e, 0, 200);
        assertThat(end.commands()).extracting(TunerCommand::commandId).containsExactly(P3 + "/preflight/stop");
        RangeTestStep r = s.preflight.lrRangeTest;
        assertThat(r.status).isEqualTo(PreflightState.PASSED);
        assertThat(r.points).hasSizeGreaterThan(100);
        assertThat(s.space.get("learningRate")).isEqualTo(ParamSpec.logUniform(r.range[0], r.range[1]));
        assertThat(s.rounds.get(0).initialSpace().get("learningRate")).isEqualTo(s.space.get("learningRate"));
        // The search waits for room among the preflight trials still running (2 at once), then samples the chosen range.
        assertThat(s.searchTrials()).isEmpty();
        List<Trial> search = new ArrayList<>(e.onEvent(finished(P1, RunFinished.COMPLETED, 4)).trials());
        assertThat(search).isEmpty();
        search.addAll(e.onEvent(finished(P2, RunFinished.STOPPED, 6)).trials());
        search.addAll(e.onEvent(finished(P3, RunFinished.STOPPED, 170)).trials());
        assertThat(search).extracting(Trial::trialId).containsExactly("t000", "t001");
        assertThat(search).allSatisfy(t -> {
            assertThat(t.origin()).isEqualTo(Trial.RANDOM);
            assertThat(s.space.get("learningRate").contains(t.hyperparameters().get("learningRate"))).isTrue();
        });
        StudyView v = StudyView.of(s);
        assertThat(v.trialsStarted()).isEqualTo(2);
        assertThat(v.preflight().lrRangeTest().range()).containsExactly(r.range);
        assertThat(v.preflight().initialLoss().firstLoss()).isEqualTo(1.12);
        String text = LeaderboardText.render(v, 50);
        assertThat(text).contains("preflight 1/3 initial-loss PASSED: first loss 1.120 vs ln(C) 1.099 (tolerance x3)")
                .contains("preflight 2/3 overfit-subset PASSED: 5 batches, 5 steps, best accuracy 1.000, 100 % after 5 steps")
                .contains("preflight 3/3 lr-range-test PASSED:").contains("range [");
    }

    @Test
    void preflightTrialsPublishEveryStepEvenWhenTheStudysModelSamples() {
        StudySpec base = spec(preflight("stop"));
        Map<String, Object> model = new java.util.LinkedHashMap<>(base.model());
        model.put("sampleEvery", 5);
        StudySpec sampled = new StudySpec(base.name(), base.objective(), base.space(), base.budget(), base.dataset(),
                model, base.seed(), base.remedies(), base.reactions(), base.preflight());
        StudyEngine e = engine();
        Trial p1 = e.create("s1", sampled).trials().get(0);
        assertThat(p1.origin()).isEqualTo(Trial.PREFLIGHT);
        assertThat(p1.base()).doesNotContainKey("sampleEvery");
        // So does the range test (step 3).
        Effects fx = passFirstTwo(e);
        assertThat(fx.trials()).singleElement().satisfies(t -> assertThat(t.base()).doesNotContainKey("sampleEvery"));
    }

    @Test
    void aBadlyInitialisedModelStopsTheStudyAtStepOneWithTheCause() {
        StudyEngine e = engine();
        e.create("s1", spec(preflight("stop")));
        e.onEvent(runStarted(P1, 5, "cross-entropy"));
        Effects fx = e.onEvent(step(P1, 0, 21.3, 0.2, 0.01));
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.status).isEqualTo(StudyState.STOPPED);
        assertThat(s.stopReason).contains("initialLoss failed (init-scale)").contains("21.30");
        assertThat(s.preflight.initialLoss.cause).isEqualTo(InitialLossStep.CAUSE_INIT_SCALE);
        assertThat(s.preflight.overfitSubset.status).isEqualTo(PreflightState.SKIPPED);
        assertThat(s.preflight.lrRangeTest.status).isEqualTo(PreflightState.SKIPPED);
        assertThat(fx.trials()).isEmpty();
        assertThat(fx.commands()).extracting(TunerCommand::runId).containsExactly(P1);
        assertThat(s.trials).hasSize(1);
        e.onEvent(finished(P1, RunFinished.STOPPED, 1));
        assertThat(s.trials).hasSize(1);
    }

    @Test
    void aModelThatCannotFitTheSubsetStopsTheStudyAtStepTwoNamingWhatWasTried() {
        StudyEngine e = engine();
        e.create("s1", spec(preflight("stop")));
        e.onEvent(runStarted(P1, 3, "cross-entropy"));
        e.onEvent(step(P1, 0, 1.1, 0.3, 0.01));
        e.onEvent(finished(P1, RunFinished.COMPLETED, 4));
        for (int i = 0; i < 60; i++) {
            e.onEvent(step(P2, i, 0.7, 0.55 + (i % 5) * 0.01, 0.01));
        }
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.preflight.overfitSubset.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.status).isEqualTo(StudyState.STOPPED);
        assertThat(s.stopReason).contains("overfitSubset failed").contains("could not fit 5 mini-batches")
                .contains("best batch accuracy 0.5900").contains("60 of 60 steps");
        assertThat(s.trials).extracting(t -> t.trialId).containsExactly("p1-initial-loss", "p2-overfit-subset");
    }

    @Test
    void onFailureContinueGoesOnToTheNextStep() {
        StudyEngine e = engine();
        e.create("s1", spec(preflight("continue")));
        e.onEvent(runStarted(P1, 5, "cross-entropy"));
        Effects fx = e.onEvent(step(P1, 0, 30, 0.2, 0.01));
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.status).isEqualTo(StudyState.RUNNING);
        assertThat(s.preflight.initialLoss.status).isEqualTo(PreflightState.FAILED);
        assertThat(fx.trials()).extracting(Trial::runId).containsExactly(P2);
    }

    @Test
    void aRangeTestThatFindsNoRangeKeepsTheRequestedOneAndTheSearchRuns() {
        StudyEngine e = engine();
        e.create("s1", spec(preflight("stop")));
        passFirstTwo(e);
        e.onEvent(finished(P1, RunFinished.COMPLETED, 4));
        e.onEvent(finished(P2, RunFinished.STOPPED, 5));
        Effects fx = e.onEvent(finished(P3, RunFinished.FAILED, 0));
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.preflight.lrRangeTest.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.space.get("learningRate")).isEqualTo(ParamSpec.logUniform(1e-4, 1));
        assertThat(fx.trials()).extracting(Trial::trialId).containsExactly("t000", "t001");
    }

    @Test
    void aSilentPreflightTrialIsLostAndItsStepFails() {
        StudyEngine e = engine();
        e.create("s1", spec(preflight("stop")));
        e.onEvent(runStarted(P1, 3, "cross-entropy"));
        clock.advance(Duration.ofMinutes(11));
        e.tick();
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.preflight.initialLoss.status).isEqualTo(PreflightState.FAILED);
        assertThat(s.preflight.initialLoss.cause).isEqualTo(InitialLossStep.CAUSE_TRIAL_FAILED);
        assertThat(s.preflight.initialLoss.detail).contains("ended lost");
        assertThat(s.status).isEqualTo(StudyState.STOPPED);
    }

    @Test
    void aStudyStoppedDuringThePreflightSkipsTheRest() {
        StudyEngine e = engine();
        e.create("s1", spec(preflight("stop")));
        Effects fx = e.stop("s1", "by hand");
        StudyState s = e.study("s1").orElseThrow();
        assertThat(fx.commands()).extracting(TunerCommand::runId).containsExactly(P1);
        assertThat(s.preflight.steps()).allSatisfy(x -> assertThat(x.status).isEqualTo(PreflightState.SKIPPED));
        assertThat(s.preflight.initialLoss.detail).contains("stopped while it ran");
    }

    @Test
    void switchedOffStepsAreSkippedAndTheFirstRunningOneStartsTheStudy() {
        StudyEngine e = engine();
        Effects fx = e.create("s1", spec(new PreflightSpec(null, null, PreflightSpec.LrRangeTest.defaults(), Map.of())));
        assertThat(fx.trials()).extracting(Trial::runId).containsExactly(P3);
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.preflight.initialLoss.status).isEqualTo(PreflightState.SKIPPED);
        assertThat(s.preflight.overfitSubset.detail).contains("switched off");
    }

    @Test
    void aTunerRestartedMidRangeTestGoesOnFromTheStoredStateAndReachesTheSameRange() {
        // Uninterrupted reference.
        StudyEngine ref = engine();
        ref.create("s1", spec(preflight("stop")));
        passFirstTwo(ref);
        ramp(ref, 0, 200);
        RangeTestStep expected = ref.study("s1").orElseThrow().preflight.lrRangeTest;

        StudyEngine first = engine();
        List<Trial> published = new ArrayList<>(first.create("s1", spec(preflight("stop"))).trials());
        published.addAll(passFirstTwo(first).trials());
        ramp(first, 0, 90);
        // The state as the topic holds it (written before the effects of the last input).
        byte[] doc = StudyJson.write(first.study("s1").orElseThrow());
        String[] error = new String[1];
        StudyState stored = StudyJson.read(doc, error).orElseThrow(() -> new AssertionError(error[0]));
        assertThat(stored.preflight.lrRangeTest.status).isEqualTo(PreflightState.RUNNING);
        assertThat(stored.preflight.lrRangeTest.lastStep).isEqualTo(89);

        StudyEngine second = engine();
        Set<String> onTopic = new HashSet<>();
        published.forEach(t -> onTopic.add(t.studyId() + "/" + t.trialId()));
        Effects restored = second.restore(List.of(stored), onTopic);
        assertThat(restored.trials()).isEmpty();
        // Events after the last commit come again: steps 80-89 are duplicates and change nothing.
        ramp(second, 80, 200);
        RangeTestStep after = second.study("s1").orElseThrow().preflight.lrRangeTest;
        assertThat(after.status).isEqualTo(PreflightState.PASSED);
        assertThat(after.range).containsExactly(expected.range);
        assertThat(after.steepestRate).isEqualTo(expected.steepestRate);
        assertThat(after.points).hasSameSizeAs(expected.points);
        assertThat(after.n).isEqualTo(expected.n);
    }

    @Test
    void aTunerRestartedBetweenStepsPublishesTheNextStepsTrialIfTheTopicLacksIt() {
        StudyEngine first = engine();
        first.create("s1", spec(preflight("stop")));
        first.onEvent(runStarted(P1, 3, "cross-entropy"));
        Effects fx = first.onEvent(step(P1, 0, 1.1, 0.3, 0.01));
        assertThat(fx.trials()).extracting(Trial::runId).containsExactly(P2);
        // The tuner died after writing the state and before publishing step 2's trial.
        StudyState stored = StudyJson.read(StudyJson.write(first.study("s1").orElseThrow()), new String[1]).orElseThrow();
        StudyEngine second = engine();
        Effects restored = second.restore(List.of(stored), Set.of("s1/p1-initial-loss"));
        assertThat(restored.trials()).extracting(Trial::runId).containsExactly(P2);
        assertThat(restored.trials().get(0)).isEqualTo(fx.trials().get(0));
        // ... and with it on the topic, nothing is published twice.
        StudyEngine third = engine();
        assertThat(third.restore(List.of(StudyJson.read(StudyJson.write(stored), new String[1]).orElseThrow()),
                Set.of("s1/p1-initial-loss", "s1/p2-overfit-subset")).trials()).isEmpty();
    }

    @Test
    void studiesWithoutPreflightAreUnchanged() {
        StudyEngine e = engine();
        Effects fx = e.create("s1", Fixtures.spec(4, 2, 100, 2));
        assertThat(fx.trials()).extracting(Trial::trialId).containsExactly("t000", "t001");
        assertThat(e.study("s1").orElseThrow().preflight).isNull();
        assertThat(StudyView.of(e.study("s1").orElseThrow()).preflight()).isNull();
    }

    @Test
    void thePreflightTrialsNeverCountAsTheStudysBest() {
        StudyEngine e = engine();
        e.create("s1", spec(preflight("stop")));
        e.onEvent(Fixtures.validation(P1, 4, 0, 0.99, 0.1));
        StudyState s = e.study("s1").orElseThrow();
        assertThat(s.bestTrial()).isEmpty();
        TrialState p1 = s.trial("p1-initial-loss").orElseThrow();
        assertThat(p1.best).isNull();
        assertThat(e.onAlert(alert(P1, Alert.class.getSimpleName(), 1)).commands()).isEmpty();
    }
}
