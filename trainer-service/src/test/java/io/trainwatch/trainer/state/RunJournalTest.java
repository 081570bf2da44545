package io.trainwatch.trainer.state;

import io.trainwatch.events.RunFinished;
import io.trainwatch.events.TrainingEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RunJournalTest {

    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void aRunInProgressIsALeftoverForTheNextProcessAndAFinishedOneIsNot() {
        RunJournal first = new RunJournal(dir);
        first.started("run-a", "study-1", "trial-3", T0);
        first.started("run-b", null, null, T0.plusSeconds(1));
        first.progress("run-a", 41);
        first.progress("run-a", 40); // never backwards
        first.finished("run-b");
        assertThat(first.leftovers()).as("its own runs are not leftovers of this process").isEmpty();

        RunJournal next = new RunJournal(dir);
        assertThat(next.leftovers()).containsExactly(new RunJournal.Entry("run-a", "study-1", "trial-3", T0, 41));
    }

    @Test
    void aRunWithoutAStepIsLeftWithStepMinusOneAndLeftoversComeOldestFirst() {
        RunJournal first = new RunJournal(dir);
        first.started("run-late", null, null, T0.plusSeconds(60));
        first.started("run-early", null, null, T0);
        assertThat(new RunJournal(dir).leftovers()).extracting(RunJournal.Entry::runId, RunJournal.Entry::step)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("run-early", -1L),
                        org.assertj.core.groups.Tuple.tuple("run-late", -1L));
    }

    @Test
    void runIdsThatAreNoFileNamesGetFilesOfTheirOwn() {
        RunJournal first = new RunJournal(dir);
        first.started("a/b", null, null, T0);
        first.started("a_b", null, null, T0.plusSeconds(1));
        first.started("../x y", null, null, T0.plusSeconds(2));
        assertThat(new RunJournal(dir).leftovers()).extracting(RunJournal.Entry::runId)
                .containsExactly("a/b", "a_b", "../x y");
        try (var files = Files.list(dir)) {
            assertThat(files).allMatch(f -> f.getParent().equals(dir));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCorruptFileIsSkippedAndSetAsideWithoutHoldingUpTheOthers() throws Exception {
        new RunJournal(dir).started("run-good", null, null, T0);
        Files.writeString(dir.resolve("run-torn.json"), "{\"runId\": \"run-to");
        Files.writeString(dir.resolve("run-empty.json"), "");
        Files.writeString(dir.resolve("run-other.json"), "{\"runId\": \"run-good\", \"createdAt\": \"" + T0 + "\"}");
        Files.writeString(dir.resolve("run-nodate.json"), "{\"runId\": \"run-nodate\"}");

        assertThat(new RunJournal(dir).leftovers()).extracting(RunJournal.Entry::runId).containsExactly("run-good");
        assertThat(dir.resolve("run-torn.json.corrupt")).exists();
        assertThat(dir.resolve("run-empty.json.corrupt")).exists();
        assertThat(dir.resolve("run-other.json.corrupt")).exists();
        assertThat(dir.resolve("run-nodate.json.corrupt")).exists();
        assertThat(new RunJournal(dir).leftovers()).as("set aside once, not read again").hasSize(1);
    }

    @Test
    void aClosedJournalNoLongerChangesSoARunEndingDuringShutdownStaysALeftover() {
        RunJournal journal = new RunJournal(dir);
        journal.started("run-a", null, null, T0);
        journal.progress("run-a", 5);
        journal.close();
        journal.progress("run-a", 9);
        journal.finished("run-a");
        journal.started("run-b", null, null, T0);
        assertThat(new RunJournal(dir).leftovers()).containsExactly(new RunJournal.Entry("run-a", null, null, T0, 5));
    }

    @Test
    void noFolderMeansNoLeftovers() {
        assertThat(new RunJournal(dir.resolve("missing")).leftovers()).isEmpty();
    }

    @Test
    void leftoversAreReportedFailedWithTheReasonAndLastStepThenForgotten() {
        RunJournal dead = new RunJournal(dir);
        dead.started("run-trial", "study-1", "trial-2", T0);
        dead.progress("run-trial", 120);
        dead.started("run-rest", null, null, T0.plusSeconds(1));

        List<TrainingEvent> published = new ArrayList<>();
        Clock clock = Clock.fixed(T0.plusSeconds(600), ZoneOffset.UTC);
        RunJournal restarted = new RunJournal(dir);
        Set<String> ended = Interruptions.report(restarted, published::add, clock);

        assertThat(ended).containsExactly("run-trial", "run-rest");
        assertThat(published).hasSize(2).allSatisfy(e -> {
            assertThat(e).isInstanceOf(RunFinished.class);
            RunFinished f = (RunFinished) e;
            assertThat(f.status()).isEqualTo(RunFinished.FAILED);
            assertThat(f.reason()).isEqualTo(Interruptions.REASON).isEqualTo("interrupted: the trainer restarted");
            assertThat(f.timestamp()).isEqualTo(clock.instant());
        });
        RunFinished trial = (RunFinished) published.get(0);
        assertThat(trial.runId()).isEqualTo("run-trial");
        assertThat(trial.studyId()).isEqualTo("study-1");
        assertThat(trial.trialId()).isEqualTo("trial-2");
        assertThat(trial.step()).isEqualTo(120);
        assertThat(((RunFinished) published.get(1)).step()).as("no step recorded").isZero();

        assertThat(new RunJournal(dir).leftovers()).as("kept until the broker acknowledges them")
                .extracting(e -> (TrainingEvent) e.finished()).containsExactlyElementsOf(published);
        published.forEach(e -> restarted.acknowledged((RunFinished) e));
        assertThat(new RunJournal(dir).leftovers()).as("acknowledged: gone").isEmpty();
        assertThat(restarted.unacknowledged()).isEmpty();
    }

    @Test
    void aLeftoverWhoseRunFinishedWasNeverAcknowledgedIsSentAgainUnchangedByEveryStartUntilItIs() {
        RunJournal dead = new RunJournal(dir);
        dead.started("run-a", "study-1", "trial-1", T0);
        dead.progress("run-a", 30);

        List<TrainingEvent> first = new ArrayList<>();
        RunJournal restarted = new RunJournal(dir);
        assertThat(Interruptions.report(restarted, first::add, Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC)))
                .containsExactly("run-a");
        assertThat(restarted.unacknowledged()).containsExactly("run-a");
        // That trainer dies before the broker acknowledges: the next start sends the very same event.
        List<TrainingEvent> second = new ArrayList<>();
        RunJournal again = new RunJournal(dir);
        assertThat(Interruptions.report(again, second::add, Clock.fixed(T0.plusSeconds(600), ZoneOffset.UTC)))
                .containsExactly("run-a");
        assertThat(second).hasSize(1).isEqualTo(first);
        assertThat(((RunFinished) second.get(0)).timestamp()).isEqualTo(T0.plusSeconds(60));

        again.acknowledged((RunFinished) second.get(0));
        List<TrainingEvent> third = new ArrayList<>();
        assertThat(Interruptions.report(new RunJournal(dir), third::add, Clock.systemUTC())).isEmpty();
        assertThat(third).isEmpty();
    }

    @Test
    void aSendThatFailsLeavesTheLeftoverForTheNextStart() {
        new RunJournal(dir).started("run-a", null, null, T0);
        RunJournal restarted = new RunJournal(dir);
        Set<String> ended = Interruptions.report(restarted, event -> {
            throw new IllegalStateException("publisher closed");
        }, Clock.fixed(T0.plusSeconds(5), ZoneOffset.UTC));
        assertThat(ended).as("over all the same: not to be trained again").containsExactly("run-a");

        List<TrainingEvent> published = new ArrayList<>();
        Interruptions.report(new RunJournal(dir), published::add, Clock.systemUTC());
        assertThat(published).singleElement().satisfies(e -> {
            assertThat(((RunFinished) e).reason()).isEqualTo(Interruptions.REASON);
            assertThat(e.timestamp()).isEqualTo(T0.plusSeconds(5));
        });
    }

    @Test
    void aRunOfThisProcessLeavesTheJournalOnlyOnceItsOwnRunFinishedIsAcknowledged() {
        RunJournal journal = new RunJournal(dir);
        journal.started("run-a", null, null, T0);
        journal.progress("run-a", 99);
        RunFinished completed = new RunFinished(1, "run-a", T0.plusSeconds(30), null, null, RunFinished.COMPLETED,
                "completed 1 epochs", 99, 0L);
        journal.ended(completed);
        assertThat(journal.unacknowledged()).containsExactly("run-a");

        // Were the trainer to die now, the next start would send the run's own run-finished, not an interruption.
        List<TrainingEvent> published = new ArrayList<>();
        Interruptions.report(new RunJournal(dir), published::add, Clock.systemUTC());
        assertThat(published).containsExactly(completed);

        journal.acknowledged(completed);
        assertThat(new RunJournal(dir).leftovers()).isEmpty();
        assertThat(journal.activeRunIds()).isEmpty();
    }

    @Test
    void anAcknowledgementOfAnEarlierRunUnderTheSameIdLeavesTheLaterOneAlone() {
        RunJournal journal = new RunJournal(dir);
        journal.started("run-a", null, null, T0.plusSeconds(10));
        journal.acknowledged(new RunFinished(1, "run-a", T0, null, null, RunFinished.COMPLETED, null, 5, 0L));
        assertThat(new RunJournal(dir).leftovers()).extracting(RunJournal.Entry::runId).containsExactly("run-a");

        RunFinished end = new RunFinished(1, "run-a", T0.plusSeconds(20), null, null, RunFinished.STOPPED, "x", 7, 0L);
        journal.acknowledged(end); // before the run's end is recorded: the broker has it all the same
        journal.ended(end);
        assertThat(new RunJournal(dir).leftovers()).isEmpty();
    }

    @Test
    void theInstanceIdIsMadeOnceAndKeptUnlessConfigured() {
        String made = InstanceId.resolve(Optional.empty(), dir);
        assertThat(made).matches("trainer-[0-9a-f]{8}");
        assertThat(InstanceId.resolve(Optional.empty(), dir)).isEqualTo(made);
        assertThat(InstanceId.resolve(Optional.of("gpu-box-1"), dir)).isEqualTo("gpu-box-1");
        assertThat(InstanceId.resolve(Optional.empty(), dir.resolve("other"))).isNotEqualTo(made);
    }
}
