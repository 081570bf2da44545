package io.trainwatch.monitor.stream;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** When the monitor's input counts as stalled (readiness down), from samples of end and committed offsets. */
class InputStallTest {

    static final TopicPartition P0 = new TopicPartition("training.events", 0);
    static final TopicPartition P1 = new TopicPartition("training.events", 1);
    static final Instant T0 = Instant.parse("2026-12-04T00:00:00Z");
    static final Duration AFTER = Duration.ofSeconds(60);

    private static Instant at(long seconds) {
        return T0.plusSeconds(seconds);
    }

    @Test
    void recordsWaitingWithNoProgressForTheLimitAreAStall() {
        InputStall s = new InputStall(AFTER);
        s.observe(Map.of(P0, 100L), Map.of(P0, 40L), at(0));
        s.observe(Map.of(P0, 130L), Map.of(P0, 40L), at(30)); // more arrive, none processed
        assertThat(s.verdict(at(59)).isStalled()).isFalse();
        InputStall.Verdict v = s.verdict(at(60));
        assertThat(v.stalled()).containsExactly(P0);
        assertThat(v.waiting()).isEqualTo(90);
        assertThat(v.since()).isEqualTo(Duration.ofSeconds(60));
        assertThat(StreamsReadiness.reason(v, AFTER)).isEqualTo("90 record(s) wait on training.events partition(s) [0] "
                + "with no progress for 60 s (trainwatch.monitor.streams.stall-after 60 s): see the log for a stuck "
                + "or failing stream thread");
    }

    @Test
    void aBacklogThatShrinksIsProgressAndAnIdleCaughtUpPartitionIsNeverStalled() {
        InputStall s = new InputStall(AFTER);
        for (int t = 0; t <= 300; t += 10) {
            s.observe(Map.of(P0, 1_000_000L, P1, 500L), Map.of(P0, 1000L * t, P1, 500L), at(t)); // P0 catches up slowly
        }
        assertThat(s.verdict(at(300)).isStalled()).isFalse();
        assertThat(s.verdict(at(10_000)).stalled()).as("P0 did not move since its last sample at 300 s").containsExactly(P0);
    }

    @Test
    void progressAfterAStallEndsItAndAStalledPartitionThatIsNoLongerOwnedIsForgotten() {
        InputStall s = new InputStall(AFTER);
        s.observe(Map.of(P0, 10L, P1, 10L), Map.of(P0, 5L, P1, 5L), at(0));
        s.observe(Map.of(P0, 10L, P1, 10L), Map.of(P0, 5L, P1, 5L), at(70));
        assertThat(s.verdict(at(70)).stalled()).containsExactly(P0, P1);
        s.observe(Map.of(P0, 10L, P1, 12L), Map.of(P0, 6L, P1, 5L), at(80));
        assertThat(s.verdict(at(80)).stalled()).as("P0 moved").containsExactly(P1);
        s.observe(Map.of(P0, 10L), Map.of(P0, 10L), at(90)); // P1 went to another instance, P0 caught up
        assertThat(s.verdict(at(1000)).isStalled()).isFalse();
    }

    @Test
    void aPartitionNeverCommittedCountsFromTheStartAndZeroTurnsTheCheckOff() {
        InputStall s = new InputStall(AFTER);
        s.observe(Map.of(P0, 3L), Map.of(), at(0));
        assertThat(s.verdict(at(61)).waiting()).isEqualTo(3);
        InputStall off = new InputStall(Duration.ZERO);
        off.observe(Map.of(P0, 3L), Map.of(), at(0));
        assertThat(off.verdict(at(10_000)).isStalled()).isFalse();
    }

    @Test
    void samplesComeAQuarterOfTheLimitApartWithinBounds() {
        assertThat(InputLagProbe.interval(Duration.ofSeconds(60))).isEqualTo(Duration.ofSeconds(10));
        assertThat(InputLagProbe.interval(Duration.ofSeconds(20))).isEqualTo(Duration.ofSeconds(5));
        assertThat(InputLagProbe.interval(Duration.ofSeconds(2))).isEqualTo(Duration.ofSeconds(1));
        assertThat(List.of(InputLagProbe.interval(Duration.ofHours(1)))).containsExactly(Duration.ofSeconds(10));
    }
}
