package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.Contract;
import io.trainwatch.events.DetectorName;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.MutableClock;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;
import io.trainwatch.tuner.steer.SteeredRun;
import io.trainwatch.tuner.steer.SteeredRunJson;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.TrialStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.trainwatch.tuner.Fixtures.applied;
import static io.trainwatch.tuner.Fixtures.finished;
import static io.trainwatch.tuner.Fixtures.step;
import static io.trainwatch.tuner.Fixtures.validation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RunSteeringTest {

    final MutableClock clock = new MutableClock(Fixtures.T0);

    StudyEngine engine() {
        return engine(SteerSettings.defaults());
    }

    StudyEngine engine(SteerSettings steer) {
        return new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(), steer, clock);
    }

    static RunStarted started(String runId, RunControl control) {
        return new RunStarted(Contract.SCHEMA_VERSION, runId, Fixtures.T0, null, null, new RunConfig("custom",
                "spirals", 3, "cross-entropy", List.of(), "adam", 0.01, 32, 20, 0.0, 0.0, 1L), "external", "cpu",
                control);
    }

    static Alert alert(String runId, String detector, long step) {
        return new Alert(Contract.SCHEMA_VERSION, runId + "-" + detector + "-" + step, Alert.FIRING, runId, null, null,
                detector, Alert.WARNING, step, 0, Fixtures.T0, detector + " detected", Map.of("learningRate", 0.01),
                null, null);
    }

    static Alert resolved(Alert a) {
        return new Alert(a.schemaVersion(), a.alertId(), Alert.RESOLVED, a.runId(), null, null, a.detector(),
                a.severity(), a.step() + 5, 0, Fixtures.T0, "resolved", Map.of(), null, null);
    }

    static List<String> actions(SteeredRun r) {
        return r.state.decisions.stream().map(Decision::action).toList();
    }

    @Test
    void anAutoRunGetsTheDecayAsACommandRetriedUntilConfirmed() {
        StudyEngine e = engine();
        Effects start = e.onEvent(started("job-1", RunControl.of(RunControl.AUTO)));
        assertThat(start.changedRuns()).extracting(r -> r.runId).containsExactly("job-1");
        assertThat(start.commands()).isEmpty();

        Alert plateau = alert("job-1", DetectorName.PLATEAU.id(), 200);
        Effects fx = e.onAlert(plateau);
        assertThat(fx.commands()).hasSize(1);
        TunerCommand c = fx.commands().get(0);
        assertThat(c.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
        assertThat(c.learningRate()).isCloseTo(0.001, within(1e-12));
        assertThat(c.isSuggestion()).isFalse();
        assertThat(c.mode()).isNull();
        assertThat(c.commandId()).isEqualTo("job-1/" + plateau.alertId() + "/lr");
        assertThat(c.alertId()).isEqualTo(plateau.alertId());
        assertThat(c.studyId()).isNull();
        assertThat(c.reason()).startsWith("plateau: learning rate 0.01000 -> 0.001000");
        assertThat(fx.changedRuns()).hasSize(1);

        // Steps trained before the command arrives still carry the old rate: the tuner keeps its own.
        e.onEvent(step("job-1", 201, 0.5, null, 0.01));
        SteeredRun r = e.runs().run("job-1").orElseThrow();
        assertThat(r.state.learningRate).isCloseTo(0.001, within(1e-12));

        clock.advance(Duration.ofSeconds(31));
        Effects retry = e.tick();
        assertThat(retry.commands()).extracting(TunerCommand::commandId).containsExactly(c.commandId());
        assertThat(actions(r)).endsWith(Decision.RETRY);

        Effects ok = e.onEvent(applied("job-1", c.commandId(), 230));
        assertThat(r.state.pending).isEmpty();
        assertThat(actions(r)).endsWith(Decision.CONFIRMED);
        assertThat(ok.changedRuns()).hasSize(1);
        clock.advance(Duration.ofMinutes(2));
        assertThat(e.tick().commands()).isEmpty();
    }

    @Test
    void anAutoRunWhoseRateIsTooLowIsRaisedConfirmedAndItsOutcomeTold() {
        StudyEngine e = engine();
        e.onEvent(started("job-r", RunControl.of(RunControl.AUTO)));
        Alert tooLow = new Alert(Contract.SCHEMA_VERSION, "job-r-underfitting-300", Alert.FIRING, "job-r", null, null,
                DetectorName.UNDERFITTING.id(), Alert.WARNING, 300, 0, Fixtures.T0, "underfitting in appearance only",
                Map.of("smoothedUpdateRatio", 2e-5), null, Alert.ACTION_RAISE_LR);
        Effects fx = e.onAlert(tooLow);
        assertThat(fx.commands()).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
            assertThat(c.learningRate()).isCloseTo(0.03, within(1e-12));
            assertThat(c.isSuggestion()).isFalse();
            assertThat(c.reason()).contains("learning rate 0.01000 -> 0.03000").contains("instead of a stop");
        });
        SteeredRun r = e.runs().run("job-r").orElseThrow();
        assertThat(r.state.status).isEqualTo(TrialStatus.RUNNING);
        assertThat(actions(r)).endsWith(Decision.SET_LEARNING_RATE);
        e.onEvent(applied("job-r", fx.commands().get(0).commandId(), 305));
        assertThat(r.state.pending).isEmpty();
        assertThat(actions(r)).endsWith(Decision.CONFIRMED);
        e.onEvent(validation("job-r", 350, 1, 0.55, 0.9));
        e.onEvent(validation("job-r", 400, 1, 0.60, 0.8));
        assertThat(actions(r)).doesNotContain(Decision.OUTCOME);
        e.onEvent(validation("job-r", 450, 1, 0.62, 0.7));
        assertThat(r.state.decisions.get(r.state.decisions.size() - 1)).satisfies(d -> {
            assertThat(d.action()).isEqualTo(Decision.OUTCOME);
            assertThat(d.policy()).isEqualTo(AlertPolicy.RAISE);
            assertThat(d.detail()).startsWith("the learning-rate raise of step 300 helped");
        });
    }

    @Test
    void aSuggestRunGetsASuggestionOnceAndKeepsItsRate() {
        StudyEngine e = engine();
        e.onEvent(started("job-s", RunControl.of(RunControl.SUGGEST)));
        Alert plateau = alert("job-s", DetectorName.PLATEAU.id(), 200);
        Effects fx = e.onAlert(plateau);
        assertThat(fx.commands()).hasSize(1);
        TunerCommand s = fx.commands().get(0);
        assertThat(s.isSuggestion()).isTrue();
        assertThat(s.mode()).isEqualTo(TunerCommand.SUGGEST);
        assertThat(s.learningRate()).isCloseTo(0.001, within(1e-12));
        assertThat(s.reason()).startsWith("plateau: learning rate 0.01000 -> 0.001000");
        SteeredRun r = e.runs().run("job-s").orElseThrow();
        assertThat(r.state.pending).isEmpty();
        assertThat(r.suggestions).isEqualTo(1);
        assertThat(actions(r)).endsWith(RunSteering.SUGGEST);

        // Nothing confirms a suggestion and nothing retries it.
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(40));
            assertThat(e.tick().commands()).isEmpty();
        }
        // The run keeps its rate: its steps say so, and the next suggestion starts from it.
        e.onEvent(step("job-s", 260, 0.5, null, 0.01));
        assertThat(r.state.learningRate).isEqualTo(0.01);
        Effects again = e.onAlert(alert("job-s", DetectorName.PLATEAU.id(), 300));
        assertThat(again.commands()).singleElement().satisfies(c -> {
            assertThat(c.isSuggestion()).isTrue();
            assertThat(c.learningRate()).isCloseTo(0.001, within(1e-12));
        });
    }

    @Test
    void aSuggestRunGetsAStopAsASuggestionToo() {
        StudyEngine e = engine();
        e.onEvent(started("job-s", RunControl.of(RunControl.SUGGEST)));
        Effects fx = e.onAlert(alert("job-s", DetectorName.DIVERGENCE.id(), 40));
        assertThat(fx.commands()).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo(TunerCommand.STOP);
            assertThat(c.isSuggestion()).isTrue();
        });
        assertThat(e.runs().run("job-s").orElseThrow().state.status).isEqualTo(TrialStatus.RUNNING);
    }

    @Test
    void aRunWithNoControlOrOffIsNeverSteeredNorTracked() {
        StudyEngine e = engine();
        RunStarted none = new RunStarted(Contract.SCHEMA_VERSION, "job-n", Fixtures.T0, null, null,
                started("x", null).config(), "external", "cpu");
        assertThat(e.onEvent(none).isEmpty()).isTrue();
        assertThat(e.onEvent(started("job-o", RunControl.of(RunControl.OFF))).isEmpty()).isTrue();
        for (String run : List.of("job-n", "job-o")) {
            for (String detector : List.of(DetectorName.PLATEAU.id(), DetectorName.DIVERGENCE.id(), DetectorName.OVERFITTING.id())) {
                Effects fx = e.onAlert(alert(run, detector, 100));
                assertThat(fx.commands()).isEmpty();
                assertThat(fx.changedRuns()).isEmpty();
            }
            assertThat(e.onEvent(step(run, 101, 0.4, null, 0.01)).isEmpty()).isTrue();
        }
        assertThat(e.runs().runs()).isEmpty();
        assertThat(e.runs().earlyAlerts()).isZero();
    }

    @Test
    void perRunLimitsAreHonoured() {
        StudyEngine e = engine();
        e.onEvent(started("job-l", new RunControl(RunControl.AUTO, 1, 0.005, false)));
        TunerCommand first = e.onAlert(alert("job-l", DetectorName.PLATEAU.id(), 200)).commands().get(0);
        // The run's floor (0.005) is above 0.01 x 0.1.
        assertThat(first.learningRate()).isCloseTo(0.005, within(1e-12));
        e.onEvent(applied("job-l", first.commandId(), 205));

        // At most one decay: the next plateau (after the cooldown) keeps the rate.
        Effects second = e.onAlert(alert("job-l", DetectorName.PLATEAU.id(), 400));
        assertThat(second.commands()).isEmpty();
        SteeredRun r = e.runs().run("job-l").orElseThrow();
        assertThat(r.state.decisions.get(r.state.decisions.size() - 1).detail()).contains("at most 1");

        // Never stopped: a divergence is recorded, not acted on.
        Effects div = e.onAlert(alert("job-l", DetectorName.DIVERGENCE.id(), 410));
        assertThat(div.commands()).isEmpty();
        Decision last = r.state.decisions.get(r.state.decisions.size() - 1);
        assertThat(last.action()).isEqualTo(Decision.IGNORE);
        assertThat(last.detail()).contains("does not allow stops");
        assertThat(r.state.status).isEqualTo(TrialStatus.RUNNING);
    }

    @Test
    void aFloorAtTheCurrentRateStopsWhenStopsAreAllowed() {
        StudyEngine e = engine();
        e.onEvent(started("job-f", new RunControl(RunControl.AUTO, null, 0.01, null)));
        Effects fx = e.onAlert(alert("job-f", DetectorName.PLATEAU.id(), 200));
        assertThat(fx.commands()).singleElement().satisfies(c -> assertThat(c.type()).isEqualTo(TunerCommand.STOP));
        SteeredRun r = e.runs().run("job-f").orElseThrow();
        assertThat(r.state.status).isEqualTo(TrialStatus.STOPPING);
        e.onEvent(applied("job-f", fx.commands().get(0).commandId(), 201));
        assertThat(r.state.status).isEqualTo(TrialStatus.STOPPED);
        assertThat(r.state.stopReason).isEqualTo(DetectorName.PLATEAU.id());
    }

    @Test
    void anAutoRunIsStoppedOnDivergenceWithNoSearchAdjustmentOrRemedy() {
        StudyEngine e = engine();
        e.onEvent(started("job-d", RunControl.of(RunControl.AUTO)));
        Effects fx = e.onAlert(alert("job-d", DetectorName.DIVERGENCE.id(), 40));
        assertThat(fx.commands()).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo(TunerCommand.STOP);
            assertThat(c.isSuggestion()).isFalse();
        });
        assertThat(fx.trials()).isEmpty();
        assertThat(fx.changedStudies()).isEmpty();
        assertThat(fx.decisions()).extracting(Decision::action).containsExactly(Decision.STOP);
        // Unconfirmed: sent 3 times, then the run is given up.
        clock.advance(Duration.ofSeconds(31));
        assertThat(e.tick().commands()).hasSize(1);
        clock.advance(Duration.ofSeconds(31));
        assertThat(e.tick().commands()).hasSize(1);
        clock.advance(Duration.ofSeconds(31));
        Effects given = e.tick();
        assertThat(given.commands()).isEmpty();
        assertThat(e.runs().run("job-d").orElseThrow().state.status).isEqualTo(TrialStatus.LOST);
    }

    @Test
    void duplicatesChangeNothing() {
        StudyEngine e = engine();
        e.onEvent(started("job-1", RunControl.of(RunControl.AUTO)));
        Alert plateau = alert("job-1", DetectorName.PLATEAU.id(), 200);
        TunerCommand c = e.onAlert(plateau).commands().get(0);
        assertThat(e.onAlert(plateau).commands()).isEmpty();
        // A replayed run-started (even with another control) does not reset the run.
        assertThat(e.onEvent(started("job-1", RunControl.of(RunControl.SUGGEST))).isEmpty()).isTrue();
        SteeredRun r = e.runs().run("job-1").orElseThrow();
        assertThat(r.state.plateau.decays).isEqualTo(1);
        assertThat(r.control.mode()).isEqualTo(RunControl.AUTO);
        e.onEvent(applied("job-1", c.commandId(), 210));
        e.onEvent(applied("job-1", c.commandId(), 210));
        assertThat(r.state.decisions.stream().filter(d -> Decision.CONFIRMED.equals(d.action()))).hasSize(1);
    }

    @Test
    void anAlertReadBeforeItsRunStartedIsActedOnOnceTheRunIsKnown() {
        StudyEngine e = engine();
        Alert plateau = alert("job-e", DetectorName.PLATEAU.id(), 200);
        assertThat(e.onAlert(plateau).commands()).isEmpty();
        assertThat(e.onEvent(step("job-e", 3, 1.0, null, 0.01)).isEmpty()).isTrue();
        assertThat(e.runs().earlyAlerts()).isEqualTo(1);
        Effects fx = e.onEvent(started("job-e", RunControl.of(RunControl.AUTO)));
        assertThat(fx.commands()).singleElement().satisfies(c -> assertThat(c.alertId()).isEqualTo(plateau.alertId()));
        assertThat(e.runs().earlyAlerts()).isZero();
        // A run that declares off drops its held alerts.
        e.onAlert(alert("job-off", DetectorName.PLATEAU.id(), 100));
        assertThat(e.onEvent(started("job-off", RunControl.of(RunControl.OFF))).commands()).isEmpty();
        assertThat(e.runs().earlyAlerts()).isZero();
    }

    @Test
    void heldAlertsAreBounded() {
        StudyEngine e = engine(new SteerSettings(10, Duration.ofHours(1), 2));
        e.onAlert(alert("a", DetectorName.PLATEAU.id(), 1));
        e.onAlert(alert("b", DetectorName.PLATEAU.id(), 1));
        e.onAlert(alert("c", DetectorName.PLATEAU.id(), 1));
        assertThat(e.runs().earlyAlerts()).isEqualTo(2);
        // The oldest (run a's) was dropped.
        assertThat(e.onEvent(started("a", RunControl.of(RunControl.AUTO))).commands()).isEmpty();
        assertThat(e.onEvent(started("c", RunControl.of(RunControl.AUTO))).commands()).hasSize(1);
    }

    @Test
    void runFinishedEndsTheSteeringAndTheRunIsEvictedAfterItsRetention() {
        StudyEngine e = engine();
        e.onEvent(started("job-1", RunControl.of(RunControl.AUTO)));
        e.onAlert(alert("job-1", DetectorName.PLATEAU.id(), 200));
        Effects end = e.onEvent(finished("job-1", RunFinished.COMPLETED, 500));
        SteeredRun r = e.runs().run("job-1").orElseThrow();
        assertThat(r.state.status).isEqualTo(TrialStatus.COMPLETED);
        assertThat(r.state.pending).isEmpty();
        assertThat(end.changedRuns()).hasSize(1);
        // Nothing more is sent to it: no retry, no reaction.
        clock.advance(Duration.ofSeconds(40));
        assertThat(e.tick().commands()).isEmpty();
        assertThat(e.onAlert(alert("job-1", DetectorName.DIVERGENCE.id(), 501)).commands()).isEmpty();
        assertThat(e.onEvent(step("job-1", 502, 0.1, null, 0.01)).isEmpty()).isTrue();

        clock.advance(Duration.ofHours(1));
        Effects evicted = e.tick();
        assertThat(evicted.removedRuns()).containsExactly("job-1");
        assertThat(e.runs().runs()).isEmpty();
    }

    @Test
    void theNumberOfTrackedRunsIsBoundedFinishedRunsGoFirst() {
        StudyEngine e = engine(new SteerSettings(3, Duration.ofHours(1), 8));
        for (String id : List.of("r1", "r2", "r3")) {
            e.onEvent(started(id, RunControl.of(RunControl.AUTO)));
            clock.advance(Duration.ofSeconds(1));
        }
        e.onEvent(finished("r2", RunFinished.COMPLETED, 10));
        Effects fx = e.onEvent(started("r4", RunControl.of(RunControl.AUTO)));
        assertThat(fx.removedRuns()).containsExactly("r2");
        assertThat(e.runs().runs()).extracting(r -> r.runId).containsExactly("r1", "r3", "r4");
        // No finished run left: the run silent the longest goes.
        clock.advance(Duration.ofSeconds(1));
        e.onEvent(step("r1", 5, 1.0, null, 0.01));
        Effects full = e.onEvent(started("r5", RunControl.of(RunControl.SUGGEST)));
        assertThat(full.removedRuns()).containsExactly("r3");
        assertThat(e.runs().runs()).hasSize(3);
    }

    @Test
    void aDeferredDecayWaitsForTheValidationAndIsDroppedWhenThePlateauResolves() {
        StudyEngine e = engine();
        e.onEvent(started("job-v", RunControl.of(RunControl.AUTO)));
        // Validation loss falling: the run's objective is its validation loss.
        e.onEvent(validation("job-v", 50, 0, 0.5, 1.0));
        e.onEvent(validation("job-v", 100, 0, 0.6, 0.8));
        Alert plateau = alert("job-v", DetectorName.PLATEAU.id(), 120);
        assertThat(e.onAlert(plateau).commands()).isEmpty();
        SteeredRun r = e.runs().run("job-v").orElseThrow();
        assertThat(actions(r)).endsWith(Decision.DEFERRED);
        assertThat(e.onAlert(resolved(plateau)).commands()).isEmpty();
        assertThat(r.state.plateau.deferredPlateauAlertId).isNull();
        assertThat(r.objective.id()).isEqualTo("minimize-validation-loss");
        assertThat(r.state.best).isEqualTo(0.8);
    }

    @Test
    void trialsOfAStudyStaySteeredAsTrialsEvenWhenTheyDeclareAuto() {
        StudyEngine e = engine();
        String runId = e.create("s1", Fixtures.spec(2, 1, 100, 1)).trials().get(0).runId();
        e.onEvent(started(runId, RunControl.of(RunControl.AUTO)));
        Effects fx = e.onAlert(alert(runId, DetectorName.PLATEAU.id(), 60));
        assertThat(e.runs().runs()).isEmpty();
        assertThat(fx.commands()).singleElement().satisfies(c -> assertThat(c.studyId()).isEqualTo("s1"));
    }

    @Test
    void aRunSurvivesARestartFromItsDocument() {
        StudyEngine e = engine();
        e.onEvent(started("job-1", RunControl.of(RunControl.AUTO)));
        Alert plateau = alert("job-1", DetectorName.PLATEAU.id(), 200);
        TunerCommand c = e.onAlert(plateau).commands().get(0);
        byte[] doc = SteeredRunJson.write(e.runs().run("job-1").orElseThrow());

        String[] error = new String[1];
        SteeredRun back = SteeredRunJson.read(doc, error).orElseThrow();
        StudyEngine restarted = engine();
        restarted.runs().restore(List.of(back));
        // The replayed alert is known; the confirmation of the command sent before the restart is understood.
        assertThat(restarted.onAlert(plateau).commands()).isEmpty();
        restarted.onEvent(applied("job-1", c.commandId(), 230));
        SteeredRun r = restarted.runs().run("job-1").orElseThrow();
        assertThat(r.state.pending).isEmpty();
        assertThat(r.state.plateau.decays).isEqualTo(1);
        assertThat(r.control).isEqualTo(RunControl.of(RunControl.AUTO));
        assertThat(actions(r)).endsWith(Decision.CONFIRMED);
    }

    @Test
    void anUnreadableRunDocumentIsReportedNotThrown() {
        String[] error = new String[1];
        assertThat(SteeredRunJson.read("{\"runId\": 3".getBytes(StandardCharsets.UTF_8), error)).isEmpty();
        assertThat(error[0]).isNotBlank();
        assertThat(SteeredRunJson.read("{\"runId\": \"x\"}".getBytes(StandardCharsets.UTF_8), error)).isEmpty();
        assertThat(error[0]).contains("control");
        assertThat(SteeredRunJson.read(("{\"runId\": \"x\", \"control\": {\"mode\": \"sometimes\"}, \"state\": "
                + "{\"status\": \"running\"}}").getBytes(StandardCharsets.UTF_8), error)).isEmpty();
    }
}
