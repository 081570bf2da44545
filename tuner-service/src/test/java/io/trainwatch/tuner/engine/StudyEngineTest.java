package io.trainwatch.tuner.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.tuner.Fixtures;
import io.trainwatch.tuner.MutableClock;
import io.trainwatch.tuner.policy.AlertPolicy;
import io.trainwatch.tuner.policy.PolicySettings;
import io.trainwatch.tuner.study.Decision;
import io.trainwatch.tuner.study.Objective;
import io.trainwatch.tuner.study.ParamSpec;
import io.trainwatch.tuner.study.StudyBudget;
import io.trainwatch.tuner.study.StudyJson;
import io.trainwatch.tuner.study.StudySpec;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;
import io.trainwatch.tuner.study.TrialStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.trainwatch.tuner.Fixtures.alert;
import static io.trainwatch.tuner.Fixtures.applied;
import static io.trainwatch.tuner.Fixtures.finished;
import static io.trainwatch.tuner.Fixtures.validation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class StudyEngineTest {

    final MutableClock clock = new MutableClock(Fixtures.T0);

    StudyEngine engine() {
        return new StudyEngine(new AlertPolicy(PolicySettings.defaults()), EngineSettings.defaults(), clock);
    }

    @Test
    void createStartsAsManyTrialsAsMayRunAtOnce() {
        StudyEngine e = engine();
        Effects fx = e.create("s1", Fixtures.spec(6, 2, 100, 2));
        assertThat(fx.trials()).extracting(Trial::trialId).containsExactly("t000", "t001");
        Trial t = fx.trials().get(0);
        assertThat(t.runId()).isEqualTo("s1-t000");
        assertThat(t.origin()).isEqualTo(Trial.RANDOM);
        assertThat(t.budget().maxSteps()).isEqualTo(100);
        assertThat(t.hyperparameters()).containsKeys("learningRate", "l2", "dropout", "activation", "weightInit",
                "width", "seed");
        assertThat(t.hyperparameters().get("width")).isInstanceOf(Integer.class);
        assertThat(t.base()).containsEntry("optimizer", "adam").containsKey("dataset");
        assertThat(fx.changedStudies()).hasSize(1);
        assertThatThrownBy(() -> e.create("s1", Fixtures.spec(6, 2, 100, 2))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aTrialThatSwitchesAwayFromANormalInitDropsTheBaseInitStdWhichTheTrainerWouldRefuse() {
        StudySpec spec = new StudySpec("test", Objective.MAXIMIZE_VALIDATION_ACCURACY,
                Map.of("weightInit", ParamSpec.categorical(List.of("normal", "relu"))),
                new StudyBudget(12, 12, 100, 1, 2.0), Map.of("type", "spirals"),
                Map.of("hiddenLayers", List.of(32, 32), "initStd", 0.05), 7, true, true);
        List<Trial> trials = engine().create("s", spec).trials();
        assertThat(trials).extracting(t -> t.hyperparameters().get("weightInit")).contains("normal", "relu");
        for (Trial t : trials) {
            if ("normal".equals(t.hyperparameters().get("weightInit"))) {
                assertThat(t.base()).containsEntry("initStd", 0.05);
            } else {
                assertThat(t.base()).doesNotContainKey("initStd").containsKey("hiddenLayers");
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameTrials() {
        List<Trial> a = engine().create("s", Fixtures.spec(6, 3, 100, 2)).trials();
        List<Trial> b = engine().create("s", Fixtures.spec(6, 3, 100, 2)).trials();
        assertThat(a).isEqualTo(b);
    }

    @Test
    void plateauSendsSetLearningRateAndTheConfirmationIsRecorded() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 1)).trials().get(0);
        double lr = (double) t.hyperparameters().get("learningRate");
        e.onEvent(Fixtures.step(t.runId(), 10));
        Alert plateau = alert(t.runId(), "plateau", 60);
        Effects fx = e.onAlert(plateau);
        assertThat(fx.commands()).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
            assertThat(c.learningRate()).isCloseTo(lr * 0.1, within(1e-15));
            assertThat(c.alertId()).isEqualTo(plateau.alertId());
            assertThat(c.studyId()).isEqualTo("s");
            assertThat(c.trialId()).isEqualTo("t000");
        });
        String commandId = fx.commands().get(0).commandId();
        TrialState trial = e.study("s").orElseThrow().trial("t000").orElseThrow();
        assertThat(trial.pending).hasSize(1);
        assertThat(trial.decisions).extracting(Decision::action).containsExactly(Decision.SET_LEARNING_RATE);
        assertThat(trial.decisions.get(0).alertId()).isEqualTo(plateau.alertId());

        e.onEvent(applied(t.runId(), commandId, 61));
        assertThat(trial.pending).isEmpty();
        assertThat(trial.decisions).extracting(Decision::action).containsExactly(Decision.SET_LEARNING_RATE, Decision.CONFIRMED);
        assertThat(trial.learningRate).isCloseTo(lr * 0.1, within(1e-15));
    }

    @Test
    void duplicateAndResolvedAlertsChangeNothing() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 1)).trials().get(0);
        e.onEvent(Fixtures.step(t.runId(), 1));
        Alert plateau = alert(t.runId(), "plateau", 60);
        assertThat(e.onAlert(plateau).commands()).hasSize(1);
        assertThat(e.onAlert(plateau).isEmpty()).isTrue();
        Alert resolved = plateau.resolve(90, 0, Fixtures.T0, "moving again", null);
        assertThat(e.onAlert(resolved).isEmpty()).isTrue();
        assertThat(e.onAlert(alert("someone-else", "plateau", 60)).isEmpty()).isTrue();
    }

    @Test
    void divergenceStopsTheTrialLowersTheCeilingAndQueuesARemedy() {
        StudyEngine e = engine();
        List<Trial> first = e.create("s", Fixtures.spec(6, 2, 100, 2)).trials();
        Trial t = first.get(0);
        double lr = (double) t.hyperparameters().get("learningRate");
        e.onEvent(Fixtures.step(t.runId(), 1));
        Effects fx = e.onAlert(alert(t.runId(), "divergence", 20));
        assertThat(fx.commands()).singleElement().satisfies(c -> assertThat(c.type()).isEqualTo(TunerCommand.STOP));
        StudyState s = e.study("s").orElseThrow();
        TrialState trial = s.trial("t000").orElseThrow();
        assertThat(trial.status).isEqualTo(TrialStatus.STOPPING);
        assertThat(trial.stopReason).isEqualTo("divergence");
        if (lr * 0.5 > 1e-3) { // the ceiling keeps at least a quarter of the log range (1e-4 .. 1e-3)
            assertThat(s.space.get("learningRate").max()).isCloseTo(lr * 0.5, within(1e-12));
        }
        assertThat(s.decisions).extracting(Decision::action).contains(Decision.ADJUST_SPACE, Decision.REMEDY);
        assertThat(s.remedyQueue).hasSize(1);

        // the trainer confirms the stop: the slot is free and the remedy runs next
        Effects next = e.onEvent(applied(t.runId(), fx.commands().get(0).commandId(), 21));
        assertThat(trial.status).isEqualTo(TrialStatus.STOPPED);
        assertThat(next.trials()).singleElement().satisfies(r -> {
            assertThat(r.origin()).isEqualTo(Trial.REMEDY);
            assertThat((double) r.hyperparameters().get("learningRate")).isCloseTo(
                    Math.max(1e-4, lr * 0.1), within(1e-12));
        });
        assertThat(s.trial("t002").orElseThrow().remedyOf).isEqualTo("t000");
        // a late run-finished changes the status no more
        e.onEvent(finished(t.runId(), RunFinished.STOPPED, 22));
        assertThat(trial.status).isEqualTo(TrialStatus.STOPPED);
    }

    @Test
    void aRunThatDivergesBeforeAnyAlertStillLowersTheCeiling() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 1)).trials().get(0);
        double lr = (double) t.hyperparameters().get("learningRate");
        double before = e.study("s").orElseThrow().space.get("learningRate").max();
        e.onEvent(finished(t.runId(), RunFinished.DIVERGED, 40));
        StudyState s = e.study("s").orElseThrow();
        assertThat(s.trial("t000").orElseThrow().status).isEqualTo(TrialStatus.DIVERGED);
        assertThat(s.space.get("learningRate").max()).isLessThanOrEqualTo(Math.max(lr * 0.5, 1e-3) + 1e-12)
                .isLessThan(before);
    }

    @Test
    void aStudyRunsToItsBudgetNarrowsAndTrainsLonger() {
        StudyEngine e = engine();
        Effects fx = e.create("s", Fixtures.spec(8, 2, 100, 2));
        List<Trial> all = new java.util.ArrayList<>(fx.trials());
        int finishedCount = 0;
        while (finishedCount < all.size()) {
            Trial t = all.get(finishedCount++);
            double lr = (double) t.hyperparameters().get("learningRate");
            // accuracy peaks around lr = 1e-2
            double acc = 0.9 - 0.1 * Math.abs(Math.log10(lr) + 2);
            e.onEvent(validation(t.runId(), 50, 1, acc, 0.5));
            all.addAll(e.onEvent(finished(t.runId(), RunFinished.COMPLETED, t.budget().maxSteps())).trials());
        }
        StudyState s = e.study("s").orElseThrow();
        assertThat(all).hasSize(8);
        assertThat(all.stream().map(Trial::trialId).distinct()).hasSize(8);
        assertThat(s.status).isEqualTo(StudyState.COMPLETED);
        assertThat(s.rounds).hasSize(2);
        assertThat(all.subList(4, 8)).allSatisfy(t -> {
            assertThat(t.origin()).isEqualTo(Trial.REFINE);
            assertThat(t.budget().maxSteps()).isEqualTo(200);
        });
        double width0 = Math.log10(s.rounds.get(0).initialSpace().get("learningRate").max())
                - Math.log10(s.rounds.get(0).initialSpace().get("learningRate").min());
        double width1 = Math.log10(s.rounds.get(1).initialSpace().get("learningRate").max())
                - Math.log10(s.rounds.get(1).initialSpace().get("learningRate").min());
        assertThat(width1).isLessThan(width0);
        assertThat(s.decisions).extracting(Decision::action).contains(Decision.NARROW, "complete");
        assertThat(s.bestTrial()).isPresent();
    }

    @Test
    void neverRunsMoreTrialsAtOnceThanAllowed() {
        StudyEngine e = engine();
        Effects fx = e.create("s", Fixtures.spec(10, 3, 100, 2));
        assertThat(fx.trials()).hasSize(3);
        Effects more = e.onEvent(finished(fx.trials().get(0).runId(), RunFinished.COMPLETED, 100));
        assertThat(more.trials()).hasSize(1);
        StudyState s = e.study("s").orElseThrow();
        assertThat(s.trials.stream().filter(TrialState::isActive).count()).isEqualTo(3);
    }

    @Test
    void anUnconfirmedCommandIsRetriedThenReported() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 1)).trials().get(0);
        e.onEvent(Fixtures.step(t.runId(), 1));
        TunerCommand sent = e.onAlert(alert(t.runId(), "plateau", 60)).commands().get(0);
        clock.advance(Duration.ofSeconds(29));
        assertThat(e.tick().commands()).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(e.tick().commands()).singleElement().satisfies(c -> assertThat(c.commandId()).isEqualTo(sent.commandId()));
        clock.advance(Duration.ofSeconds(30));
        assertThat(e.tick().commands()).hasSize(1);
        clock.advance(Duration.ofSeconds(30));
        Effects last = e.tick();
        assertThat(last.commands()).isEmpty();
        TrialState trial = e.study("s").orElseThrow().trial("t000").orElseThrow();
        assertThat(trial.pending).isEmpty();
        assertThat(trial.decisions).extracting(Decision::action)
                .containsExactly(Decision.SET_LEARNING_RATE, Decision.RETRY, Decision.RETRY, Decision.UNCONFIRMED);
        assertThat(e.study("s").orElseThrow().decisions).extracting(Decision::action).contains(Decision.UNCONFIRMED);
        assertThat(trial.status).isEqualTo(TrialStatus.RUNNING);
    }

    @Test
    void anUnconfirmedStopGivesTheTrialUpAndTheStudyMovesOn() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 1)).trials().get(0);
        e.onEvent(Fixtures.step(t.runId(), 1));
        e.onAlert(alert(t.runId(), "vanishing-gradients", 10));
        List<Trial> started = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofSeconds(30));
            started.addAll(e.tick().trials());
        }
        assertThat(e.study("s").orElseThrow().trial("t000").orElseThrow().status).isEqualTo(TrialStatus.LOST);
        assertThat(started).extracting(Trial::origin).containsExactly(Trial.REMEDY);
    }

    @Test
    void aSilentTrialIsLost() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 1)).trials().get(0);
        clock.advance(Duration.ofHours(1));
        assertThat(e.tick().trials()).as("a queued trial waits for a worker however long").isEmpty();
        e.onEvent(Fixtures.step(t.runId(), 1));
        clock.advance(Duration.ofMinutes(10));
        assertThat(e.tick().trials()).hasSize(1);
        assertThat(e.study("s").orElseThrow().trial("t000").orElseThrow().status).isEqualTo(TrialStatus.LOST);
    }

    @Test
    void validationKeepsTheBestValueAndIgnoresNonFiniteOnes() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 100, 1)).trials().get(0);
        e.onEvent(validation(t.runId(), 10, 1, 0.6, 1.0));
        e.onEvent(validation(t.runId(), 20, 2, 0.8, 0.7));
        e.onEvent(validation(t.runId(), 30, 3, Double.NaN, Double.NaN));
        e.onEvent(validation(t.runId(), 5, 0, 0.7, 0.9)); // late, out of order
        e.onEvent(validation(t.runId(), 40, 4, Double.POSITIVE_INFINITY, 0.1));
        TrialState trial = e.study("s").orElseThrow().trial("t000").orElseThrow();
        assertThat(trial.best).isEqualTo(0.8);
        assertThat(trial.bestStep).isEqualTo(20);
        assertThat(trial.bestEpoch).isEqualTo(2);
    }

    @Test
    void stopTellsRunningTrialsToStopAndStartsNoMore() {
        StudyEngine e = engine();
        List<Trial> trials = e.create("s", Fixtures.spec(6, 2, 100, 2)).trials();
        e.onEvent(Fixtures.step(trials.get(0).runId(), 1));
        Effects fx = e.stop("s", "enough");
        assertThat(fx.commands()).hasSize(2).allSatisfy(c -> assertThat(c.type()).isEqualTo(TunerCommand.STOP));
        StudyState s = e.study("s").orElseThrow();
        assertThat(s.status).isEqualTo(StudyState.STOPPED);
        assertThat(e.onEvent(finished(trials.get(0).runId(), RunFinished.STOPPED, 5)).trials()).isEmpty();
        assertThat(e.stop("s", "again").isEmpty()).isTrue();
        assertThatThrownBy(() -> e.stop("nope", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void restoreRepublishesOnlyTrialsMissingFromTheTopic() {
        StudyEngine e = engine();
        List<Trial> trials = e.create("s", Fixtures.spec(6, 2, 100, 2)).trials();
        e.onEvent(Fixtures.step(trials.get(0).runId(), 3));
        e.onEvent(validation(trials.get(0).runId(), 3, 1, 0.7, 0.6));
        StudyState stored = StudyJson.read(StudyJson.write(e.study("s").orElseThrow()), new String[1]).orElseThrow();

        StudyEngine restarted = engine();
        Effects fx = restarted.restore(List.of(stored), Set.of("s/t000"));
        assertThat(fx.trials()).singleElement().isEqualTo(trials.get(1));

        StudyEngine again = engine();
        assertThat(again.restore(List.of(StudyJson.read(StudyJson.write(stored), new String[1]).orElseThrow()),
                Set.of("s/t000", "s/t001")).trials()).isEmpty();

        // and it goes on from where it was: the next trial is t002, the same one the first engine would start
        Effects a = e.onEvent(finished(trials.get(0).runId(), RunFinished.COMPLETED, 100));
        Effects b = again.onEvent(finished(trials.get(0).runId(), RunFinished.COMPLETED, 100));
        assertThat(b.trials()).isEqualTo(a.trials()).extracting(Trial::trialId).containsExactly("t002");
    }

    @Test
    void theStudyDocumentRoundTrips() {
        StudyEngine e = engine();
        List<Trial> trials = e.create("s", Fixtures.spec(6, 2, 100, 2)).trials();
        e.onEvent(Fixtures.step(trials.get(0).runId(), 3));
        e.onAlert(alert(trials.get(0).runId(), "overfitting", 90));
        e.onEvent(validation(trials.get(1).runId(), 3, 1, 0.7, 0.6));
        StudyState s = e.study("s").orElseThrow();
        byte[] json = StudyJson.write(s);
        StudyState back = StudyJson.read(json, new String[1]).orElseThrow();
        assertThat(StudyJson.write(back)).isEqualTo(json);
        assertThat(back.spec).isEqualTo(s.spec);
        assertThat(back.trials.get(0).decisions).isEqualTo(s.trials.get(0).decisions);
    }

    @Test
    void unreadableStudyDocumentsAreRejectedWithAReason() {
        for (String bad : List.of("", "{}", "[1]", "{\"id\": \"x\"}", "nonsense")) {
            String[] error = new String[1];
            assertThat(StudyJson.read(bad.getBytes(), error)).isEmpty();
            assertThat(error[0]).isNotBlank();
        }
    }

    @Test
    void withoutReactionsAlertsAreIgnoredAndTrialsRunToTheirBudget() {
        StudyEngine e = engine();
        io.trainwatch.tuner.study.StudySpec base = Fixtures.spec(4, 1, 100, 1);
        io.trainwatch.tuner.study.StudySpec plain = new io.trainwatch.tuner.study.StudySpec(base.name(), base.objective(),
                base.space(), base.budget(), base.dataset(), base.model(), base.seed(), false, false);
        Trial t = e.create("s", plain).trials().get(0);
        e.onEvent(Fixtures.step(t.runId(), 1));
        assertThat(e.onAlert(alert(t.runId(), "divergence", 5)).isEmpty()).isTrue();
        e.onEvent(finished(t.runId(), RunFinished.DIVERGED, 6));
        StudyState s = e.study("s").orElseThrow();
        assertThat(s.space).isEqualTo(base.space());
        assertThat(s.trial("t000").orElseThrow().decisions).isEmpty();
    }

    @Test
    void evictsFinishedStudiesWhenFull() {
        EngineSettings small = new EngineSettings(Duration.ofSeconds(30), 3, Duration.ofMinutes(10), 0.25, 2, 0.25, 0.1,
                32, 200, 2, Duration.ofSeconds(5), 2);
        StudyEngine e = new StudyEngine(new AlertPolicy(PolicySettings.defaults()), small, clock);
        e.create("a", Fixtures.spec(2, 1, 100, 1));
        e.create("b", Fixtures.spec(2, 1, 100, 1));
        assertThatThrownBy(() -> e.create("c", Fixtures.spec(2, 1, 100, 1))).isInstanceOf(IllegalStateException.class);
        e.stop("a", "done");
        e.create("c", Fixtures.spec(2, 1, 100, 1));
        assertThat(e.studies()).extracting(st -> st.id).containsExactly("b", "c");
        Set<String> ids = new HashSet<>();
        e.studies().forEach(st -> ids.add(st.id));
        assertThat(ids).doesNotContain("a");
    }

    @Test
    void aPlateauIsDeferredWhileValidationImprovesAndDecidedAtTheNextFlatValidation() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 600, 1)).trials().get(0);
        double lr = (double) t.hyperparameters().get("learningRate");
        e.onEvent(validation(t.runId(), 50, 0, 0.5, 1.0));
        e.onEvent(validation(t.runId(), 100, 0, 0.6, 0.9));
        Alert plateau = alert(t.runId(), "plateau", 118);
        Effects fx = e.onAlert(plateau);
        assertThat(fx.commands()).isEmpty();
        TrialState trial = e.study("s").orElseThrow().trial("t000").orElseThrow();
        assertThat(trial.decisions).singleElement().satisfies(d -> {
            assertThat(d.action()).isEqualTo(Decision.DEFERRED);
            assertThat(d.alertId()).isEqualTo(plateau.alertId());
            assertThat(d.detail()).startsWith("deferred: validation still improving");
        });
        assertThat(e.onAlert(plateau).isEmpty()).as("a replay of the deferred alert").isTrue();
        assertThat(e.onEvent(validation(t.runId(), 150, 0, 0.7, 0.8)).commands()).isEmpty();
        assertThat(e.onEvent(validation(t.runId(), 200, 0, 0.7, 0.8)).commands()).isEmpty();
        assertThat(e.onEvent(validation(t.runId(), 250, 0, 0.7, 0.8)).commands()).isEmpty();
        clock.advance(Duration.ofSeconds(5));
        Effects decided = e.onEvent(validation(t.runId(), 300, 0, 0.7, 0.8));
        assertThat(decided.commands()).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
            assertThat(c.learningRate()).isCloseTo(lr * 0.1, within(1e-15));
            assertThat(c.alertId()).isEqualTo(plateau.alertId());
        });
        assertThat(trial.decisions).extracting(Decision::action).containsExactly(Decision.DEFERRED, Decision.SET_LEARNING_RATE);
        assertThat(trial.decisions.get(1).step()).isEqualTo(300);
        assertThat(trial.decisions.get(1).at()).isEqualTo(Fixtures.T0.plusSeconds(5));
        assertThat(e.onEvent(validation(t.runId(), 350, 0, 0.7, 0.8)).commands()).as("decided once").isEmpty();
    }

    @Test
    void aResolvedPlateauDropsItsDeferredDecay() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 600, 1)).trials().get(0);
        e.onEvent(validation(t.runId(), 50, 0, 0.5, 1.0));
        e.onEvent(validation(t.runId(), 100, 0, 0.6, 0.9));
        Alert plateau = alert(t.runId(), "plateau", 118);
        e.onAlert(plateau);
        e.onAlert(plateau.resolve(140, 0, Fixtures.T0, "moving again", null));
        TrialState trial = e.study("s").orElseThrow().trial("t000").orElseThrow();
        assertThat(trial.plateau.deferredPlateauAlertId).isNull();
        assertThat(trial.decisions).extracting(Decision::action).containsExactly(Decision.DEFERRED, Decision.IGNORE);
        for (long step = 150; step <= 400; step += 50) {
            assertThat(e.onEvent(validation(t.runId(), step, 0, 0.6, 0.9)).commands()).isEmpty();
        }
    }

    @Test
    void anEarlyUnderfittingStopIsDeferredThenMadeOnceTheTrialIsHalfTrainedAndFlatOrDroppedWhenItResolves() {
        StudyEngine e = engine();
        Trial t = e.create("s", Fixtures.spec(4, 1, 600, 1)).trials().get(0);
        TrialState trial = e.study("s").orElseThrow().trial("t000").orElseThrow();
        e.onEvent(validation(t.runId(), 50, 0, 0.5, 1.0));
        Alert early = alert(t.runId(), "underfitting", 141);
        assertThat(e.onAlert(early).commands()).isEmpty();
        assertThat(trial.decisions).extracting(Decision::action).containsExactly(Decision.DEFERRED);
        for (long step = 150; step < 299; step += 50) {
            assertThat(e.onEvent(validation(t.runId(), step, 0, 0.5, 1.0)).commands()).as("step %d", step).isEmpty();
        }
        Effects stop = e.onEvent(validation(t.runId(), 299, 0, 0.5, 1.0));
        assertThat(stop.commands()).singleElement().satisfies(c -> {
            assertThat(c.type()).isEqualTo(TunerCommand.STOP);
            assertThat(c.alertId()).isEqualTo(early.alertId());
        });
        assertThat(trial.stopReason).isEqualTo("underfitting");
        assertThat(trial.decisions.get(trial.decisions.size() - 1).detail())
                .startsWith("reconsidered at the validation of step 299 (underfitting alert of step 141)");
        assertThat(e.study("s").orElseThrow().decisions).extracting(Decision::action).contains(Decision.ADJUST_SPACE);

        // the next trial: its early alert resolves (the curve took off) and the deferred stop is dropped
        e.onEvent(applied(t.runId(), stop.commands().get(0).commandId(), 300));
        TrialState next = e.study("s").orElseThrow().trial("t001").orElseThrow();
        Alert second = alert(next.runId, "underfitting", 120);
        e.onAlert(second);
        e.onAlert(second.resolve(180, 0, Fixtures.T0, "improving", null));
        assertThat(next.plateau.deferredUnderfittingAlertId).isNull();
        assertThat(next.decisions).extracting(Decision::action).containsExactly(Decision.DEFERRED, Decision.IGNORE);
        for (long step = 200; step <= 600; step += 50) {
            assertThat(e.onEvent(validation(next.runId, step, 0, 0.5, 1.0)).commands()).isEmpty();
        }
    }
}
