package io.trainwatch.cli.demo;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.Contract;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunConfig;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.Trial;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DemoLedgerTest {

    private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");
    private static final int V = Contract.SCHEMA_VERSION;

    private final DemoPlan.Study healthy = study("demo-healthy-s", "healthy", DemoPlan.NONE);
    private final DemoPlan.Study plateau = study("demo-plateau-s", "plateau", "plateau");
    private final DemoPlan.Study search = study("demo-search-s", DemoPlan.SEARCH, null);
    private final DemoLedger ledger = new DemoLedger(List.of(healthy, plateau, search));

    private static DemoPlan.Study study(String id, String label, String expected) {
        return new DemoPlan.Study(id, label, expected, EventCodec.MAPPER.createObjectNode());
    }

    private static RunStarted started(String study, String trial) {
        return new RunStarted(V, study + "-" + trial, T, study, trial, new RunConfig(null, null, 5, null, List.of(),
                null, 0.03, 32, null, null, null, 1L), "cpu", "cpu");
    }

    private static RunFinished finished(String study, String trial, String status, long step) {
        return new RunFinished(V, study + "-" + trial, T, study, trial, status, "reason", step, 0L);
    }

    private static Alert alert(String study, String detector, String status, long step) {
        return new Alert(V, "a-" + detector + "-" + study, status, study + "-t000", study, "t000", detector,
                Alert.WARNING, step, 0, T, "summary of " + detector, Map.of("smoothedLoss", 0.25), "remedy",
                Alert.ACTION_NONE);
    }

    private static TunerCommand decay(String study) {
        return new TunerCommand(V, "cmd-1", study + "-t000", TunerCommand.SET_LEARNING_RATE, 0.003,
                "plateau: learning rate 0.03 -> 0.003", "a-plateau-" + study, T, study, "t000");
    }

    @Test
    void aPassingDemoPrintsEachThingOnceAndSummarisesIt() {
        assertThat(ledger.onEvent(started("demo-healthy-s", "t000"))).get().asString()
                .contains("healthy").contains("expects no alert");
        assertThat(ledger.onEvent(started("demo-healthy-s", "t000"))).as("a duplicate").isEmpty();
        ledger.onEvent(new ValidationEvent(V, "demo-healthy-s-t000", T, "demo-healthy-s", "t000", 299, 3, 0.1, 0.97,
                0.12, 0.96));
        ledger.onEvent(finished("demo-healthy-s", "t000", RunFinished.COMPLETED, 299));

        ledger.onEvent(started("demo-plateau-s", "t000"));
        assertThat(ledger.onAlert(alert("demo-plateau-s", "plateau", Alert.FIRING, 210))).get().asString()
                .contains("ALERT").contains("plateau at step 210").contains("smoothedLoss=0.2500");
        assertThat(ledger.onAlert(alert("demo-plateau-s", "plateau", Alert.FIRING, 210))).isEmpty();
        assertThat(ledger.onCommand(decay("demo-plateau-s"))).get().asString().contains("set-learning-rate 0.003000");
        assertThat(ledger.onCommand(decay("demo-plateau-s"))).as("a re-sent command").isEmpty();
        assertThat(ledger.onEvent(new CommandApplied(V, "demo-plateau-s-t000", T, "demo-plateau-s", "t000", "cmd-1",
                282, TunerCommand.SET_LEARNING_RATE, Map.of()))).get().asString().contains("confirmed").contains("282");
        assertThat(ledger.scenarioRunsFinished()).isFalse();
        ledger.onEvent(finished("demo-plateau-s", "t000", RunFinished.COMPLETED, 399));
        assertThat(ledger.scenarioRunsFinished()).as("the search's end is the tuner's to say").isTrue();

        List<DemoLedger.Row> rows = ledger.rows();
        assertThat(rows).extracting(DemoLedger.Row::scenario).containsExactly("healthy", "plateau", DemoPlan.SEARCH);
        assertThat(rows.get(0).outcome()).isEqualTo("completed at step 299, val acc 0.960");
        assertThat(rows.get(0).verdict()).isEqualTo("ok");
        assertThat(rows.get(1).diagnosis()).isEqualTo("plateau @210");
        assertThat(rows.get(1).tunerAction()).isEqualTo("lr -> 0.003000 (applied @282)");
        assertThat(rows.get(1).verdict()).isEqualTo("ok");
        assertThat(rows.get(2).verdict()).as("the search has no expectation").isEmpty();
        assertThat(ledger.passed()).isTrue();
        assertThat(ledger.table()).contains("scenario").contains("plateau @210").contains("verdict");
    }

    @Test
    void anAlertOnTheHealthyRunOrAMissingDiagnosisFailsTheDemo() {
        ledger.onEvent(started("demo-healthy-s", "t000"));
        ledger.onAlert(alert("demo-healthy-s", "overfitting", Alert.FIRING, 100));
        ledger.onEvent(started("demo-plateau-s", "t000"));
        ledger.onAlert(alert("demo-plateau-s", "underfitting", Alert.FIRING, 150));
        assertThat(ledger.rows()).extracting(DemoLedger.Row::verdict).containsExactly("FAIL", "FAIL", "");
        assertThat(ledger.passed()).isFalse();
    }

    @Test
    void aScenarioThatNeverRanFailsAndAResolvedAlertIsNotADiagnosis() {
        ledger.onEvent(started("demo-plateau-s", "t000"));
        assertThat(ledger.onAlert(alert("demo-plateau-s", "plateau", Alert.RESOLVED, 300))).get().asString()
                .contains("resolved");
        List<DemoLedger.Row> rows = ledger.rows();
        assertThat(rows.get(0).outcome()).isEqualTo("no run seen");
        assertThat(rows.get(0).verdict()).isEqualTo("FAIL");
        assertThat(rows.get(1).diagnosis()).isEqualTo("no alert");
        assertThat(rows.get(1).verdict()).isEqualTo("FAIL");
    }

    @Test
    void eachFinishedPreflightStepOfTheTunersTextIsPrintedOnce() {
        String running = """
                study demo-search-s (x): RUNNING
                preflight 1/3 initial-loss PASSED: first loss 1.1125 vs ln(C) 1.0986
                preflight 2/3 overfit-subset RUNNING: 120 steps
                """;
        assertThat(ledger.onStudyText("demo-search-s", running)).singleElement().asString()
                .contains("PREFLIGHT search: preflight 1/3 initial-loss PASSED: first loss 1.1125");
        String later = running.replace("overfit-subset RUNNING: 120 steps", "overfit-subset FAILED: best 0.78");
        assertThat(ledger.onStudyText("demo-search-s", later)).singleElement().asString()
                .contains("preflight 2/3 overfit-subset FAILED");
        assertThat(ledger.onStudyText("demo-search-s", later)).isEmpty();
        assertThat(ledger.onStudyText("not-the-demos", later)).isEmpty();
        assertThat(ledger.onStudyText("demo-search-s", null)).isEmpty();
    }

    @Test
    void eventsOfOtherRunsAreIgnoredAndSearchTrialsArePrintedWithTheirValues() {
        assertThat(ledger.onEvent(started("someone-elses-study", "t000"))).isEmpty();
        assertThat(ledger.onAlert(alert("someone-elses-study", "plateau", Alert.FIRING, 5))).isEmpty();
        Trial trial = new Trial(V, "demo-search-s", "t002", "demo-search-s-t002",
                Map.of("learningRate", 1.938, "activation", "relu"), new Trial.Budget(300L, null), Trial.RANDOM,
                Map.of(), T);
        assertThat(ledger.onTrial(trial)).get().asString().contains("new trial search t002 (random)")
                .contains("learningRate=1.938").contains("activation=relu");
        assertThat(ledger.onTrial(trial)).isEmpty();
        ledger.onEvent(started("demo-search-s", "t002"));
        ledger.onEvent(finished("demo-search-s", "t002", RunFinished.DIVERGED, 3));
        assertThat(ledger.rows()).filteredOn(r -> r.scenario().equals("search t002")).singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo("diverged at step 3"));
    }
}
