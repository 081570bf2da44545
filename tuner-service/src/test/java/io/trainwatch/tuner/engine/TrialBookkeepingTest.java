package io.trainwatch.tuner.engine;

import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.MutableClock;
import io.trainwatch.tuner.api.LeaderboardText;
import io.trainwatch.tuner.api.StudyView;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.SteeredRunJson;
import io.trainwatch.tuner.steer.ValidationPoint;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.StudyJson;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.trainwatch.tuner.Fixtures.applied;
import static io.trainwatch.tuner.Fixtures.finished;
import static io.trainwatch.tuner.Fixtures.step;
import static io.trainwatch.tuner.Fixtures.validation;
import static org.assertj.core.api.Assertions.assertThat;

/** The steps a study counts, the outcome of every command, and what a stop may not score. */
class TrialBookkeepingTest {

    final MutableClock clock = new MutableClock(Fixtures.T0);

    StudyEngine engine(EngineSettings settings) {
        return new StudyEngine(new AlertPolicy(PolicySettings.defaults()), settings, clock);
    }

    StudyEngine engine() {
        return engine(EngineSettings.defaults());
    }

    static CommandApplied appliedStop(String runId, String commandId, long step) {
        return new CommandApplied(Contract.SCHEMA_VERSION, runId, Fixtures.T0, null, null, commandId, step,
                TunerCommand.STOP, Map.of());
    }

    @Test
    void aStoppedTrialCountsExactlyTheStepsItTrained() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        for (long i = 0; i < 120; i++) {
            e.onEvent(step(t.runId(), i));
        }
        TunerCommand stop = e.stop("s", "enough").commands().get(0);
        // The stop takes effect before step 120: steps 0..119 ran, 120 never did.
        e.onEvent(applied(t.runId(), stop.commandId(), 120));
        e.onEvent(finished(t.runId(), RunFinished.STOPPED, 119));
        StudyState s = e.study("s").orElseThrow();
        TrialState trial = s.trial(t.trialId()).orElseThrow();
        assertThat(trial.status).isEqualTo(TrialStatus.STOPPED);
        assertThat(trial.stoppedAtStep).isEqualTo(120L);
        assertThat(trial.stepsTrained()).isEqualTo(120);
        assertThat(s.stepsTrained()).isEqualTo(120);
        assertThat(StudyView.of(s).leaderboard().get(0).steps()).isEqualTo(120);
    }

    @Test
    void aCommandAppliedCountsOnlyTheStepsBeforeIt() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        // Steps are sampled: the last one seen is 40, then a stop (from the trainer's own REST API) before step 57.
        e.onEvent(step(t.runId(), 40));
        e.onEvent(appliedStop(t.runId(), "rest-stop-1", 57));
        TrialState trial = e.study("s").orElseThrow().trial(t.trialId()).orElseThrow();
        assertThat(trial.stepsTrained()).isEqualTo(57);
        e.onEvent(finished(t.runId(), RunFinished.STOPPED, 56));
        assertThat(trial.stepsTrained()).isEqualTo(57);
        assertThat(trial.status).isEqualTo(TrialStatus.STOPPED);
    }

    @Test
    void aRunStoppedBeforeItsFirstStepTrainedNone() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        e.onEvent(appliedStop(t.runId(), "rest-stop-1", 0));
        // run-finished cannot say -1: it says 0, which is no step trained after a stop at step 0.
        e.onEvent(finished(t.runId(), RunFinished.STOPPED, 0));
        StudyState s = e.study("s").orElseThrow();
        assertThat(s.trial(t.trialId()).orElseThrow().stepsTrained()).isZero();
        assertThat(s.stepsTrained()).isZero();
    }

    @Test
    void aCompletedTrialCountsItsLastStep() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        e.onEvent(step(t.runId(), 0));
        e.onEvent(finished(t.runId(), RunFinished.COMPLETED, 399));
        assertThat(e.study("s").orElseThrow().stepsTrained()).isEqualTo(400);
    }

    @Test
    void aDecisionTheRunNeverAppliedGetsItsOutcomeWhenTheTrialEnds() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        e.onEvent(step(t.runId(), 10));
        TunerCommand lr = e.onAlert(Fixtures.alert(t.runId(), DetectorName.PLATEAU.id(), 395)).commands().get(0);
        assertThat(lr.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
        TrialState trial = e.study("s").orElseThrow().trial(t.trialId()).orElseThrow();
        assertThat(trial.pending).hasSize(1);

        Effects fx = e.onEvent(finished(t.runId(), RunFinished.COMPLETED, 399));
        assertThat(trial.pending).isEmpty();
        Decision outcome = trial.decisions.get(trial.decisions.size() - 1);
        assertThat(outcome.action()).isEqualTo(Decision.NOT_APPLIED);
        assertThat(outcome.commandId()).isEqualTo(lr.commandId());
        assertThat(outcome.step()).isEqualTo(399L);
        assertThat(outcome.detail()).startsWith("set-learning-rate ").endsWith("not applied: the run ended at step 399");
        assertThat(fx.decisions()).contains(outcome);
        // Nothing is retried for a trial that ended.
        clock.advance(Duration.ofMinutes(5));
        assertThat(e.tick().commands()).isEmpty();
    }

    @Test
    void aCommandStillPendingWhenAStopTookEffectIsNotAppliedAndNotRetried() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        e.onEvent(step(t.runId(), 10));
        TunerCommand lr = e.onAlert(Fixtures.alert(t.runId(), DetectorName.PLATEAU.id(), 60)).commands().get(0);
        TunerCommand stop = e.stop("s", "enough").commands().get(0);
        e.onEvent(applied(t.runId(), stop.commandId(), 61));
        TrialState trial = e.study("s").orElseThrow().trial(t.trialId()).orElseThrow();
        assertThat(trial.status).isEqualTo(TrialStatus.STOPPED);
        assertThat(trial.pending).isEmpty();
        assertThat(trial.decisions).filteredOn(d -> lr.commandId().equals(d.commandId()))
                .extracting(Decision::action).containsExactly(Decision.SET_LEARNING_RATE, Decision.NOT_APPLIED);
        assertThat(trial.decisions.get(trial.decisions.size() - 1).detail())
                .endsWith("not applied: the run ended at step 60");
        clock.advance(Duration.ofMinutes(5));
        assertThat(e.tick().commands()).isEmpty();
    }

    @Test
    void aLostTrialsPendingCommandsGetTheirOutcomeToo() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        e.onEvent(step(t.runId(), 10));
        e.onAlert(Fixtures.alert(t.runId(), DetectorName.PLATEAU.id(), 60));
        // retries are sent every 30 s up to 3 times; the trial falls silent for good before the last one is due
        clock.advance(Duration.ofMinutes(11));
        e.tick();
        TrialState trial = e.study("s").orElseThrow().trial(t.trialId()).orElseThrow();
        assertThat(trial.status).isEqualTo(TrialStatus.LOST);
        assertThat(trial.pending).isEmpty();
        long outcomes = trial.decisions.stream().filter(d -> Decision.NOT_APPLIED.equals(d.action())
                || Decision.UNCONFIRMED.equals(d.action()) || Decision.CONFIRMED.equals(d.action())).count();
        assertThat(outcomes).as("the rate decision has one outcome").isEqualTo(1);
    }

    @Test
    void aValidationAfterTheStopTookEffectIsNotTheTrialsBest() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(1, 1, 400, 1)).trials().get(0);
        e.onEvent(validation(t.runId(), 99, 0, 0.5, null));
        e.onEvent(appliedStop(t.runId(), "rest-stop-1", 150));
        e.onEvent(validation(t.runId(), 149, 1, 0.9, null));
        e.onEvent(finished(t.runId(), RunFinished.STOPPED, 149));
        StudyState s = e.study("s").orElseThrow();
        TrialState trial = s.trial(t.trialId()).orElseThrow();
        assertThat(trial.best).isEqualTo(0.5);
        assertThat(trial.bestStep).isEqualTo(99L);
        assertThat(StudyView.of(s).best().value()).isEqualTo(0.5);
    }

    @Test
    void theStudyViewReportsTheStepsPlannedAndSpent() {
        StudyEngine e = engine();
        // 4 trials in two rounds of 2, refined trials twice as long: 2 x 100 + 2 x 200 planned.
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 2)).trials().get(0);
        e.onEvent(step(t.runId(), 0));
        e.onEvent(appliedStop(t.runId(), "rest-stop-1", 30));
        e.onEvent(finished(t.runId(), RunFinished.STOPPED, 29));
        StudyView v = StudyView.of(e.study("s").orElseThrow());
        assertThat(v.steps()).isEqualTo(new StudyView.Steps(600, 30, 0));
        assertThat(v.stepsTrained()).isEqualTo(30);
        assertThat(LeaderboardText.render(v, 0)).contains("steps 30/600");
    }

    @Test
    void aStudyAskingForMoreTrialsAtOnceThanTheWorkersRunIsWarned() {
        StudyEngine e = engine(EngineSettings.defaults());
        e.create("ok", Fixtures.spec(4, EngineSettings.DEFAULT_WORKER_TRIAL_SLOTS, 100, 1));
        assertThat(e.study("ok").orElseThrow().warnings).isEmpty();
        assertThat(StudyView.of(e.study("ok").orElseThrow()).warnings()).isNull();

        e.create("wide", Fixtures.spec(8, 4, 100, 1));
        StudyState wide = e.study("wide").orElseThrow();
        assertThat(wide.warnings).singleElement().asString()
                .startsWith("concurrentTrials 4 is more than the 2 trials the trainer workers are known to run at once")
                .contains("trainwatch.tuner.worker-trial-slots");
        assertThat(StudyView.of(wide).warnings()).isEqualTo(wide.warnings);
        // the warning is part of the study document, so that a restarted tuner still shows it
        assertThat(StudyJson.read(StudyJson.write(wide), new String[1]).orElseThrow().warnings)
                .isEqualTo(wide.warnings);
    }

    @Test
    void aSteeredRunsCommandPendingAtItsStopIsNotApplied() {
        StudyEngine e = engine();
        e.onEvent(RunSteeringTest.started("job-s", RunControl.of(RunControl.AUTO)));
        TunerCommand lr = e.onAlert(RunSteeringTest.alert("job-s", DetectorName.PLATEAU.id(), 200)).commands().get(0);
        TunerCommand stop = e.onAlert(RunSteeringTest.alert("job-s", DetectorName.DIVERGENCE.id(), 205)).commands().get(0);
        assertThat(stop.type()).isEqualTo(TunerCommand.STOP);
        e.onEvent(applied("job-s", stop.commandId(), 206));
        SteeredRun r = e.runs().run("job-s").orElseThrow();
        assertThat(r.state.status).isEqualTo(TrialStatus.STOPPED);
        assertThat(r.state.stepsTrained()).isEqualTo(206);
        assertThat(r.state.pending).isEmpty();
        assertThat(r.state.decisions).filteredOn(d -> lr.commandId().equals(d.commandId()))
                .extracting(Decision::action).containsExactly(Decision.SET_LEARNING_RATE, Decision.NOT_APPLIED);
    }

    @Test
    void aSteeredRunKeepsItsValidationsInStepOrderBounded() {
        StudyEngine e = engine();
        e.onEvent(RunSteeringTest.started("job-v", RunControl.of(RunControl.AUTO)));
        for (long i = 0; i < SteeredRun.VALIDATIONS_KEPT + 5; i++) {
            e.onEvent(validation("job-v", i * 10 + 9, (int) (i / 10), null, 1.0 / (i + 1)));
        }
        SteeredRun r = e.runs().run("job-v").orElseThrow();
        assertThat(r.validations).hasSize(SteeredRun.VALIDATIONS_KEPT);
        assertThat(r.validations.get(0)).isEqualTo(new ValidationPoint(59, 0, 1.0 / 6, null, null, null));
        assertThat(r.validations).extracting(ValidationPoint::step).isSorted();
        SteeredRun read = SteeredRunJson.read(SteeredRunJson.write(r), new String[1]).orElseThrow();
        assertThat(read.validations).isEqualTo(r.validations);
    }

    @Test
    void aSteeredRunsStepsAndUnappliedCommandsAreCountedAsATrials() {
        StudyEngine e = engine();
        e.onEvent(RunSteeringTest.started("job-c", RunControl.of(RunControl.AUTO)));
        TunerCommand lr = e.onAlert(RunSteeringTest.alert("job-c", DetectorName.PLATEAU.id(), 200)).commands().get(0);
        e.onEvent(step("job-c", 210));
        e.onEvent(finished("job-c", RunFinished.COMPLETED, 211));
        SteeredRun r = e.runs().run("job-c").orElseThrow();
        assertThat(r.state.stepsTrained()).isEqualTo(212);
        assertThat(r.state.pending).isEmpty();
        assertThat(r.state.decisions).anySatisfy(d -> {
            assertThat(d.action()).isEqualTo(Decision.NOT_APPLIED);
            assertThat(d.commandId()).isEqualTo(lr.commandId());
            assertThat(d.detail()).endsWith("not applied: the run ended at step 211");
        });
    }
}
