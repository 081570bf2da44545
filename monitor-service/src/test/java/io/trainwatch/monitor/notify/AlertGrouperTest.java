package io.trainwatch.monitor.notify;

import io.trainwatch.events.Alert;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.trainwatch.monitor.notify.TestAlerts.T0;
import static io.trainwatch.monitor.notify.TestAlerts.firing;
import static io.trainwatch.monitor.notify.TestAlerts.resolved;
import static org.assertj.core.api.Assertions.assertThat;

class AlertGrouperTest {

    static final AlertGrouper.Timing TIMING =
            new AlertGrouper.Timing(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofHours(4));

    private AlertGrouper grouper() {
        return new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR, TIMING, true, 100, 1000);
    }

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void aNewGroupWaitsGroupWaitThenSendsOnce() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "plateau", 100);
        assertThat(g.add(a, at(0)).outcome()).isEqualTo(AlertGrouper.Outcome.QUEUED);
        assertThat(g.due(at(9))).isEmpty();
        assertThat(g.nextDue()).contains(at(10));
        List<Notification> sent = g.due(at(10));
        assertThat(sent).singleElement().satisfies(n -> {
            assertThat(n.firing()).containsExactly(a);
            assertThat(n.resolved()).isEmpty();
            assertThat(n.repeat()).isFalse();
            assertThat(n.status()).isEqualTo(Alert.FIRING);
        });
        assertThat(g.due(at(11))).isEmpty();
        assertThat(g.due(at(3600))).isEmpty();
    }

    @Test
    void alertsArrivingDuringTheWaitGoIntoTheSameMessage() {
        AlertGrouper g = grouper();
        g.add(firing("r1", "plateau", 100), at(0));
        g.add(firing("r1", "plateau", 900), at(5));
        g.add(firing("r2", "plateau", 100), at(5));
        List<Notification> first = g.due(at(10));
        assertThat(first).singleElement().satisfies(n -> assertThat(n.firing()).hasSize(2));
        assertThat(g.due(at(15))).singleElement().satisfies(n -> assertThat(n.firing().get(0).runId()).isEqualTo("r2"));
    }

    @Test
    void aChangeIsSentNoSoonerThanGroupIntervalAfterTheLastMessage() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "divergence", 100);
        g.add(a, at(0));
        g.due(at(10));
        g.add(resolved(a), at(20));
        assertThat(g.due(at(69))).isEmpty();
        assertThat(g.nextDue()).contains(at(70));
        assertThat(g.due(at(70))).singleElement().satisfies(n -> {
            assertThat(n.status()).isEqualTo(Alert.RESOLVED);
            assertThat(n.resolved()).extracting(Alert::alertId).containsExactly(a.alertId());
            assertThat(n.firing()).isEmpty();
        });
        assertThat(g.groups()).isZero();
        assertThat(g.nextDue()).isEmpty();
    }

    @Test
    void aStillFiringGroupIsRepeatedAfterRepeatInterval() {
        AlertGrouper g = grouper();
        g.add(firing("r1", "plateau", 100), at(0));
        g.due(at(10));
        assertThat(g.due(at(10 + 4 * 3600 - 1))).isEmpty();
        assertThat(g.due(at(10 + 4 * 3600))).singleElement().satisfies(n -> assertThat(n.repeat()).isTrue());
        assertThat(g.due(at(10 + 4 * 3600 + 1))).isEmpty();
    }

    @Test
    void duplicatesAreDeduplicatedBeforeAndAfterTheMessage() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "plateau", 100);
        g.add(a, at(0));
        assertThat(g.add(a, at(1)).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        g.due(at(10));
        assertThat(g.add(a, at(20)).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        assertThat(g.due(at(200))).isEmpty();
        Alert r = resolved(a);
        assertThat(g.add(r, at(300)).outcome()).isEqualTo(AlertGrouper.Outcome.QUEUED);
        assertThat(g.due(at(300))).hasSize(1);
        assertThat(g.add(r, at(301)).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        assertThat(g.add(a, at(302)).outcome()).as("a replayed firing after its resolution")
                .isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        assertThat(g.due(at(10_000))).isEmpty();
    }

    @Test
    void aResolvedThatArrivesBeforeItsFiringSuppressesTheFiring() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "plateau", 100);
        g.add(resolved(a), at(0));
        assertThat(g.add(a, at(1)).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        assertThat(g.due(at(10))).as("resolved whose firing was never announced: nothing to say").isEmpty();
        assertThat(g.groups()).isZero();
    }

    @Test
    void anAlertThatFlapsWithinTheWaitIsNotAnnounced() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "plateau", 100);
        g.add(a, at(0));
        g.add(resolved(a), at(3));
        assertThat(g.due(at(10))).isEmpty();
        assertThat(g.add(a, at(11)).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
    }

    @Test
    void aCriticalAlertThatFlapsWithinTheWaitIsAnnouncedOnceAsFiredAndResolved() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "divergence", Alert.CRITICAL, 100);
        g.add(a, at(0));
        g.add(resolved(a), at(3));
        List<Notification> due = g.due(at(10));
        assertThat(due).hasSize(1);
        Notification n = due.get(0);
        assertThat(n.firing()).isEmpty();
        assertThat(n.resolved()).isEmpty();
        assertThat(n.firedAndResolved()).extracting(Alert::alertId).containsExactly(a.alertId());
        assertThat(n.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(AlertText.header(n, AlertText.Markup.PLAIN)).contains("FIRED AND RESOLVED", "divergence", "r1");
        assertThat(g.add(a, at(11)).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        assertThat(g.add(resolved(a), at(12)).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        assertThat(g.due(at(100))).isEmpty();
    }

    @Test
    void aNewEpisodeOfAResolvedDetectorIsANewAlert() {
        AlertGrouper g = grouper();
        Alert first = firing("r1", "plateau", 100);
        g.add(first, at(0));
        g.due(at(10));
        g.add(resolved(first), at(20));
        g.due(at(70));
        Alert second = firing("r1", "plateau", 500);
        assertThat(g.add(second, at(100)).outcome()).isEqualTo(AlertGrouper.Outcome.QUEUED);
        assertThat(g.due(at(110))).singleElement().satisfies(n -> assertThat(n.firing()).containsExactly(second));
    }

    @Test
    void sendResolvedFalseForgetsResolvedAlertsSilently() {
        AlertGrouper g = new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR, TIMING, false, 100, 1000);
        Alert a = firing("r1", "plateau", 100);
        g.add(a, at(0));
        g.due(at(10));
        g.add(resolved(a), at(20));
        assertThat(g.due(at(100))).isEmpty();
        assertThat(g.groups()).isZero();
        assertThat(g.due(at(100_000))).as("no repeat of a resolved alert").isEmpty();
    }

    @Test
    void mixedGroupReportsFiringAndNewlyResolvedTogether() {
        AlertGrouper g = new AlertGrouper("ops", GroupBy.parse(List.of("run"), new java.util.ArrayList<>()), TIMING,
                true, 100, 1000);
        Alert plateau = firing("r1", "plateau", 100);
        Alert overfit = firing("r1", "overfitting", 120);
        g.add(plateau, at(0));
        g.add(overfit, at(1));
        assertThat(g.due(at(10))).singleElement().satisfies(n -> assertThat(n.firing()).hasSize(2));
        g.add(resolved(plateau), at(30));
        assertThat(g.due(at(70))).singleElement().satisfies(n -> {
            assertThat(n.firing()).containsExactly(overfit);
            assertThat(n.resolved()).extracting(Alert::alertId).containsExactly(plateau.alertId());
            assertThat(n.status()).isEqualTo(Alert.FIRING);
        });
    }

    @Test
    void groupsAreBoundedAndTheLeastRecentlyActiveIsEvicted() {
        AlertGrouper g = new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR, TIMING, true, 2, 1000);
        g.add(firing("r1", "plateau", 1), at(0));
        g.add(firing("r2", "plateau", 1), at(1));
        g.add(firing("r1", "plateau", 2), at(2)); // r1 is now the most recent
        AlertGrouper.Admission third = g.add(firing("r3", "plateau", 1), at(3));
        assertThat(third.outcome()).isEqualTo(AlertGrouper.Outcome.QUEUED);
        assertThat(third.evicted()).isEqualTo(1);
        assertThat(g.groups()).isEqualTo(2);
        assertThat(g.due(at(100))).extracting(n -> n.firing().get(0).runId()).containsExactlyInAnyOrder("r1", "r3");
    }

    @Test
    void alertsPerGroupAreBounded() {
        AlertGrouper g = new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR, TIMING, true, 10, 1000, 3);
        int evicted = 0;
        for (int i = 0; i < 5; i++) {
            evicted += g.add(firing("r1", "plateau", i), at(0)).evicted();
        }
        assertThat(evicted).isEqualTo(2);
        assertThat(g.due(at(10))).singleElement().satisfies(n -> assertThat(n.firing()).extracting(Alert::step)
                .containsExactly(2L, 3L, 4L));
    }

    @Test
    void rememberedIdsAreBounded() {
        AlertGrouper g = new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR, TIMING, true, 10, 2);
        Alert a = firing("r1", "plateau", 1);
        g.add(a, at(0));
        g.due(at(10));
        g.add(firing("r2", "plateau", 1), at(20));
        g.add(firing("r3", "plateau", 1), at(20));
        g.due(at(30));
        // a's firing was forgotten (memory of 2 ids): its resolution is then dropped as never announced
        g.add(resolved(a), at(40));
        assertThat(g.due(at(200))).noneMatch(n -> !n.resolved().isEmpty());
    }

    @Test
    void zeroWaitSendsAtOnceAndAClockGoingBackwardsDoesNotBreakIt() {
        AlertGrouper g = new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR,
                new AlertGrouper.Timing(Duration.ZERO, Duration.ZERO, Duration.ofHours(1)), true, 10, 100);
        g.add(firing("r1", "plateau", 1), at(100));
        assertThat(g.due(at(100))).hasSize(1);
        g.add(firing("r1", "plateau", 2), at(50));
        assertThat(g.due(at(50))).as("earlier than the last message: waits for the clock to catch up").isEmpty();
        assertThat(g.due(at(100))).hasSize(1);
    }

    @Test
    void groupKeysSeparateRunsAndDetectors() {
        Alert a = firing("r1", "plateau", 1);
        assertThat(GroupBy.RUN_AND_DETECTOR.key(a)).isNotEqualTo(GroupBy.RUN_AND_DETECTOR.key(firing("r1", "divergence", 1)));
        assertThat(GroupBy.RUN_AND_DETECTOR.key(a)).isEqualTo(GroupBy.RUN_AND_DETECTOR.key(firing("r1", "plateau", 9)));
        List<String> unknown = new java.util.ArrayList<>();
        GroupBy g = GroupBy.parse(List.of("run", " Detector ", "colour", ""), unknown);
        assertThat(g).isEqualTo(GroupBy.RUN_AND_DETECTOR);
        assertThat(unknown).containsExactly("colour");
        assertThat(GroupBy.parse(List.of(), unknown).key(a)).isEmpty();
    }

    /** A completion to follow: finished once every reference is given back. */
    private static Completion tracked() {
        return new Completion(() -> { });
    }

    @Test
    void aDeduplicatedAlertFinishesItsRecordAtOnceAndAnAnnouncedOneGoesWithItsMessage() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "plateau", 100);
        Completion first = tracked();
        Completion again = tracked();
        g.add(a, at(0), first);
        assertThat(g.add(a, at(1), again).outcome()).isEqualTo(AlertGrouper.Outcome.DEDUPLICATED);
        assertThat(again.isFinished()).isTrue();
        assertThat(first.isFinished()).as("waits in the group").isFalse();
        List<AlertGrouper.Message> due = g.dueMessages(at(10));
        assertThat(due).singleElement().satisfies(m -> assertThat(m.completions()).containsExactly(first));
        assertThat(first.isFinished()).as("the message holds it until delivered").isFalse();
        Completion afterAnnounce = tracked();
        g.add(a, at(20), afterAnnounce);
        assertThat(afterAnnounce.isFinished()).isTrue();
        assertThat(g.dueMessages(at(4 * 3600 + 10))).as("a repeat carries no record")
                .singleElement().satisfies(m -> assertThat(m.completions()).isEmpty());
    }

    @Test
    void aResolutionThatIsNotAnnouncedFinishesItsRecordsAtTheFlush() {
        AlertGrouper g = grouper();
        Alert a = firing("r1", "plateau", 100); // a warning: no "fired and resolved"
        Completion fired = tracked();
        Completion cleared = tracked();
        g.add(a, at(0), fired);
        g.add(resolved(a), at(2), cleared);
        assertThat(g.dueMessages(at(10))).isEmpty();
        assertThat(fired.isFinished()).isTrue();
        assertThat(cleared.isFinished()).isTrue();

        AlertGrouper quiet = new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR, TIMING, false, 100, 1000);
        Alert b = firing("r2", "plateau", 100);
        Completion bFired = tracked();
        Completion bCleared = tracked();
        quiet.add(b, at(0), bFired);
        assertThat(quiet.dueMessages(at(10))).singleElement().satisfies(m -> assertThat(m.completions())
                .containsExactly(bFired));
        quiet.add(resolved(b), at(20), bCleared);
        assertThat(quiet.dueMessages(at(80))).as("send-resolved off").isEmpty();
        assertThat(bCleared.isFinished()).isTrue();
    }

    @Test
    void aCriticalEpisodeWithinTheWaitCarriesBothRecordsAndEvictionFinishesRecords() {
        AlertGrouper g = grouper();
        Alert c = firing("r1", "divergence", Alert.CRITICAL, 100);
        Completion fired = tracked();
        Completion cleared = tracked();
        g.add(c, at(0), fired);
        g.add(resolved(c), at(1), cleared);
        assertThat(g.dueMessages(at(10))).singleElement().satisfies(m -> {
            assertThat(m.notification().firedAndResolved()).hasSize(1);
            assertThat(m.completions()).containsExactly(fired, cleared);
        });

        AlertGrouper small = new AlertGrouper("ops", GroupBy.RUN_AND_DETECTOR, TIMING, true, 1, 1000, 1);
        Completion old = tracked();
        Completion older = tracked();
        small.add(firing("r1", "plateau", 100), at(0), older);
        small.add(firing("r1", "plateau", 900), at(1), old); // one alert per group: the first is evicted
        assertThat(older.isFinished()).isTrue();
        small.add(firing("r2", "plateau", 100), at(2), tracked()); // one group: r1's is evicted
        assertThat(old.isFinished()).isTrue();
    }
}
