package io.trainwatch.monitor.notify;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The offsets the notifier may commit while its records finish out of order, and its bound. */
class UnfinishedOffsetsTest {

    static final TopicPartition P0 = new TopicPartition("alerts", 0);
    static final TopicPartition P1 = new TopicPartition("alerts", 1);

    private static Map<TopicPartition, OffsetAndMetadata> at(TopicPartition tp, long offset) {
        return Map.of(tp, new OffsetAndMetadata(offset));
    }

    @Test
    void commitsTheLowestUnfinishedOffsetThenTheOneAfterTheLastRecordOnceAllFinished() {
        UnfinishedOffsets u = new UnfinishedOffsets(100);
        Completion r5 = u.begin("alerts", 0, 5);
        Completion r6 = u.begin("alerts", 0, 6);
        Completion r7 = u.begin("alerts", 0, 7);
        assertThat(u.committable(List.of(P0))).isEqualTo(at(P0, 5));
        r6.release();
        r7.release();
        assertThat(u.committable(List.of(P0))).as("5 still waits: nothing past it").isEqualTo(at(P0, 5));
        assertThat(u.unfinished()).isEqualTo(1);
        r5.release();
        assertThat(u.committable(List.of(P0))).isEqualTo(at(P0, 8));
        assertThat(u.unfinished()).isZero();
    }

    @Test
    void aRecordFinishesWhenTheLastChannelGivesItsReferenceBack() {
        UnfinishedOffsets u = new UnfinishedOffsets(100);
        Completion r = u.begin("alerts", 0, 0);
        Completion slack = r.retain();
        Completion teams = r.retain();
        r.release(); // the reader handed it over
        slack.release();
        assertThat(u.committable(List.of(P0))).isEqualTo(at(P0, 0));
        teams.release();
        teams.release(); // once too often: ignored
        assertThat(u.committable(List.of(P0))).isEqualTo(at(P0, 1));
        assertThat(r.isFinished()).isTrue();
        assertThat(u.unfinished()).isZero();
    }

    @Test
    void partitionsAreIndependentAndOnlyTheAskedOnesAreCommittable() {
        UnfinishedOffsets u = new UnfinishedOffsets(100);
        Completion a = u.begin("alerts", 0, 3);
        u.begin("alerts", 1, 40).release();
        assertThat(u.committable(List.of(P0, P1))).isEqualTo(Map.of(P0, new OffsetAndMetadata(3), P1,
                new OffsetAndMetadata(41)));
        assertThat(u.committable(List.of(P1))).isEqualTo(at(P1, 41));
        assertThat(u.committable(List.of(new TopicPartition("alerts", 2)))).as("nothing read there").isEmpty();
        a.release();
    }

    @Test
    void aRecordReadAgainWhileInFlightIsFinishedByItsFirstReading() {
        UnfinishedOffsets u = new UnfinishedOffsets(100);
        Completion first = u.begin("alerts", 0, 9);
        Completion again = u.begin("alerts", 0, 9); // a new consumer read it again: deduplicated at once downstream
        assertThat(again).isSameAs(Completion.NONE);
        again.release();
        assertThat(u.committable(List.of(P0))).isEqualTo(at(P0, 9));
        assertThat(u.unfinished()).isEqualTo(1);
        first.release();
        assertThat(u.committable(List.of(P0))).isEqualTo(at(P0, 10));
    }

    @Test
    void aPartitionAssignedAgainCommitsNothingNewUntilReadButItsUnfinishedRecordsStillHoldIt() {
        UnfinishedOffsets u = new UnfinishedOffsets(100);
        u.begin("alerts", 0, 4).release();
        Completion held = u.begin("alerts", 1, 7);
        u.assigned(List.of(P0, P1));
        assertThat(u.committable(List.of(P0, P1))).as("P0: where it resumes is the group's, not ours")
                .isEqualTo(at(P1, 7));
        u.begin("alerts", 0, 12).release();
        assertThat(u.committable(List.of(P0))).isEqualTo(at(P0, 13));
        held.release();
        assertThat(u.committable(List.of(P1))).isEmpty();
    }

    @Test
    void pausesEveryAssignedPartitionAtTheBoundAndResumesBelowIt() {
        MockConsumer<String, byte[]> c = new MockConsumer<>("earliest");
        c.assign(List.of(P0, P1));
        UnfinishedOffsets u = new UnfinishedOffsets(2);
        Completion a = u.begin("alerts", 0, 0);
        u.pauseOrResume(c);
        assertThat(c.paused()).isEmpty();
        Completion b = u.begin("alerts", 1, 0);
        u.pauseOrResume(c);
        assertThat(c.paused()).isEqualTo(Set.of(P0, P1));
        assertThat(u.isPaused()).isTrue();
        u.pauseOrResume(c);
        assertThat(c.paused()).as("still at the bound").isEqualTo(Set.of(P0, P1));
        b.release();
        u.pauseOrResume(c);
        assertThat(c.paused()).isEmpty();
        assertThat(u.isPaused()).isFalse();
        a.release();
    }
}
