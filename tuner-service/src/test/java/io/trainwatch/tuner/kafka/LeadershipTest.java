package io.trainwatch.tuner.kafka;

import io.trainwatch.tuner.kafka.Leadership.Role;
import io.trainwatch.tuner.kafka.Leadership.View;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The election's state machine, fed views and events by hand as the elector would after each poll. */
class LeadershipTest {

    /** A term that records how it ended. */
    static final class FakeTerm implements Leadership.Term {
        String ended;

        @Override
        public void close() {
            ended = "closed";
        }

        @Override
        public void abandon() {
            ended = "abandoned";
        }
    }

    final List<FakeTerm> terms = new ArrayList<>();
    final List<Role> changes = new ArrayList<>();
    boolean failToStart;
    final Leadership<FakeTerm> leadership = new Leadership<>("a", () -> {
        if (failToStart) {
            throw new IllegalStateException("no broker");
        }
        FakeTerm t = new FakeTerm();
        terms.add(t);
        return t;
    }, Duration.ofSeconds(3), s -> changes.add(s.role()), Clock.systemUTC());

    static View holds(int generation) {
        return new View(true, true, generation, 0, 1);
    }

    static View standby(int generation) {
        return new View(true, false, generation, 0, 1);
    }

    @Test
    void aLoneInstanceIsActiveAsSoonAsItHoldsThePartitionAndStaysSoThroughPolls() {
        assertThat(leadership.role()).isEqualTo(Role.ELECTING);
        leadership.observe(new View(false, false, -1, -1, 0));
        assertThat(leadership.role()).isEqualTo(Role.ELECTING);
        leadership.observe(new View(true, true, 1, 0, 0));
        leadership.observe(new View(true, true, 1, 1, 0));
        assertThat(leadership.role()).isEqualTo(Role.ACTIVE);
        assertThat(terms).hasSize(1);
        assertThat(leadership.term()).containsSame(terms.get(0));
        assertThat(leadership.status().active()).isEqualTo("a");
        assertThat(changes).containsExactly(Role.ACTIVE);
    }

    @Test
    void aStandbyRunsNothingAndNamesTheActiveOne() {
        leadership.observe(standby(3));
        leadership.activeIs("b");
        assertThat(leadership.role()).isEqualTo(Role.STANDBY);
        assertThat(leadership.term()).isEmpty();
        assertThat(terms).isEmpty();
        assertThat(leadership.status().active()).isEqualTo("b");
        assertThat(leadership.status().reason()).contains("another instance");
    }

    @Test
    void aStandbyTakesOverWhenItIsAssignedThePartitionAndReloadsInANewTerm() {
        leadership.observe(standby(3));
        leadership.observe(holds(4));
        assertThat(leadership.role()).isEqualTo(Role.ACTIVE);
        assertThat(terms).hasSize(1);
        assertThat(changes).containsExactly(Role.STANDBY, Role.ACTIVE);
    }

    @Test
    void aRevokedPartitionEndsTheTermCleanlyAtOnce() {
        leadership.observe(holds(1));
        leadership.revoked();
        assertThat(leadership.role()).isEqualTo(Role.STANDBY);
        assertThat(terms.get(0).ended).isEqualTo("closed");
        assertThat(leadership.term()).isEmpty();
        assertThat(leadership.takeRejoinRequest()).isFalse();
        leadership.observe(standby(2));
        leadership.observe(holds(3));
        assertThat(terms).hasSize(2);
        assertThat(terms.get(1).ended).isNull();
    }

    @Test
    void aLostMembershipAbandonsTheTerm() {
        leadership.observe(holds(1));
        leadership.lost("the group membership expired");
        assertThat(leadership.role()).isEqualTo(Role.STANDBY);
        assertThat(terms.get(0).ended).isEqualTo("abandoned");
        assertThat(leadership.status().reason()).contains("expired");
    }

    @Test
    void aFencedInstanceStepsDownAndWaitsForALaterGenerationBeforeLeadingAgain() {
        leadership.observe(holds(5));
        leadership.fenced();
        assertThat(leadership.role()).as("acted on at the next poll, not on the writer's thread").isEqualTo(Role.ACTIVE);
        leadership.observe(holds(5));
        assertThat(leadership.role()).isEqualTo(Role.STANDBY);
        assertThat(terms.get(0).ended).isEqualTo("abandoned");
        assertThat(leadership.takeRejoinRequest()).isTrue();
        assertThat(leadership.takeRejoinRequest()).as("asked once").isFalse();
        leadership.observe(holds(5));
        assertThat(leadership.role()).as("the same generation: its view may be stale").isEqualTo(Role.STANDBY);
        assertThat(terms).hasSize(1);
        leadership.observe(holds(6));
        assertThat(leadership.role()).isEqualTo(Role.ACTIVE);
        assertThat(terms).hasSize(2);
    }

    @Test
    void aSilentHeartbeatStepsDownOnlyWhenAnotherInstanceCouldTakeOver() {
        leadership.observe(new View(true, true, 2, 0, 0));
        leadership.observe(new View(true, true, 2, 8, 0));
        assertThat(leadership.role()).as("alone: nobody could take over; state and outbox kept")
                .isEqualTo(Role.ACTIVE);
        leadership.observe(new View(true, true, 2, 2, 1));
        assertThat(leadership.role()).as("below the limit").isEqualTo(Role.ACTIVE);
        leadership.observe(new View(true, true, 2, 3, 1));
        assertThat(leadership.role()).isEqualTo(Role.STANDBY);
        assertThat(terms.get(0).ended).isEqualTo("abandoned");
        assertThat(leadership.status().reason()).contains("no heartbeat for 3 s");
        assertThat(leadership.takeRejoinRequest()).isTrue();
        leadership.observe(new View(true, true, 2, 0, 1));
        assertThat(leadership.role()).isEqualTo(Role.STANDBY);
        leadership.observe(new View(true, true, 3, 0, 1));
        assertThat(leadership.role()).as("the group kept it: active again after rejoining").isEqualTo(Role.ACTIVE);
    }

    @Test
    void aTermThatCannotStartLeavesTheInstanceStandbyAndIsTriedAgain() {
        failToStart = true;
        leadership.observe(holds(1));
        assertThat(leadership.role()).isEqualTo(Role.STANDBY);
        assertThat(leadership.status().reason()).contains("no broker");
        failToStart = false;
        leadership.observe(holds(1));
        assertThat(leadership.role()).isEqualTo(Role.ACTIVE);
    }

    @Test
    void stopEndsTheTermCleanlyAndNothingBeginsAfter() {
        leadership.observe(holds(1));
        leadership.stop();
        assertThat(terms.get(0).ended).isEqualTo("closed");
        assertThat(leadership.role()).isEqualTo(Role.STOPPED);
        leadership.observe(holds(2));
        leadership.revoked();
        assertThat(leadership.role()).isEqualTo(Role.STOPPED);
        assertThat(terms).hasSize(1);
    }

    @Test
    void theElectionConsumerUsesTheClassicProtocolAShortSessionAndTheCooperativeStickyAssignor() {
        LeaderElector.Settings s = LeaderElector.Settings.of("tuner", "host-1:8083", Duration.ofSeconds(6));
        assertThat(s.group()).isEqualTo("tuner-leader");
        assertThat(s.heartbeatInterval()).isEqualTo(Duration.ofMillis(1500));
        assertThat(s.silenceLimit()).isEqualTo(Duration.ofSeconds(3));
        var c = LeaderElector.electionConsumer(java.util.Map.of("group.id", "tuner", "bootstrap.servers", "x:1",
                "group.protocol", "consumer"), s);
        assertThat(c).containsEntry("group.id", "tuner-leader").containsEntry("group.protocol", "classic")
                .containsEntry("session.timeout.ms", 6000).containsEntry("heartbeat.interval.ms", 1500)
                .containsEntry("client.id", "tuner-leader-host-1:8083")
                .containsEntry("partition.assignment.strategy",
                        org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
    }
}
