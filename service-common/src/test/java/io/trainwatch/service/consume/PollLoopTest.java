package io.trainwatch.service.consume;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The loop's logic over Kafka's {@link MockConsumer}: no broker, no real waiting. */
class PollLoopTest {

    static final String TOPIC = "t";
    static final TopicPartition TP = new TopicPartition(TOPIC, 0);

    final List<Duration> slept = new CopyOnWriteArrayList<>();
    final List<String> handled = new CopyOnWriteArrayList<>();
    final List<Long> deadLetters = new CopyOnWriteArrayList<>();

    static MockConsumer<String, String> consumer(String... values) {
        return filled(new MockConsumer<>("earliest"), values);
    }

    /** {@code c} assigned to the test partition, holding {@code values} at offsets 0, 1, ... */
    static <C extends MockConsumer<String, String>> C filled(C c, String... values) {
        c.assign(List.of(TP));
        c.updateBeginningOffsets(Map.of(TP, 0L));
        c.updateEndOffsets(Map.of(TP, (long) values.length));
        for (int i = 0; i < values.length; i++) {
            c.addRecord(new ConsumerRecord<>(TOPIC, 0, i, "k" + i, values[i]));
        }
        return c;
    }

    PollLoopBuilder<String, String> loop(java.util.function.Supplier<MockConsumer<String, String>> consumers) {
        return PollLoop.<String, String>builder("test-loop", consumers)
                .handler(r -> {
                    if (r.value().startsWith("bad")) {
                        throw new IllegalArgumentException("unreadable " + r.value());
                    }
                    handled.add(r.value());
                })
                .deadLetter((r, e) -> deadLetters.add(r.offset()))
                .sleeper(slept::add)
                .backoff(Duration.ofMillis(100), Duration.ofMillis(350));
    }

    @Test
    void handlesEveryRecordThenCommitsAfterHandling() throws Exception {
        MockConsumer<String, String> c = consumer("a", "b", "c");
        PollLoop<String, String> loop = loop(() -> c).build();
        loop.pollOnce(c);
        assertThat(handled).containsExactly("a", "b", "c");
        assertThat(c.committed(Set.of(TP))).containsEntry(TP, new OffsetAndMetadata(3));
        assertThat(loop.recordsHandled()).isEqualTo(3);
        assertThat(loop.recordsSkipped()).isZero();
        assertThat(loop.lag()).isZero();
    }

    @Test
    void oneBadRecordIsOneCountedSkipSentToTheDeadLetterHookAndThePartitionMovesOn() throws Exception {
        MockConsumer<String, String> c = consumer("a", "bad-1", "c");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PollLoop<String, String> loop = loop(() -> c).metrics(registry).build();
        loop.pollOnce(c);
        loop.pollOnce(c); // nothing more: the bad record is not read again
        assertThat(handled).containsExactly("a", "c");
        assertThat(deadLetters).containsExactly(1L);
        assertThat(loop.recordsSkipped()).isEqualTo(1);
        assertThat(c.committed(Set.of(TP))).containsEntry(TP, new OffsetAndMetadata(3));
        assertThat(registry.get("trainwatch.consumer.skipped").tag("loop", "test-loop").counter().count())
                .isEqualTo(1.0);
        assertThat(registry.get("trainwatch.consumer.records").tag("loop", "test-loop").counter().count())
                .isEqualTo(3.0);
    }

    @Test
    void aFailingDeadLetterHookDoesNotStopTheBatch() throws Exception {
        MockConsumer<String, String> c = consumer("bad", "b");
        PollLoop<String, String> loop = loop(() -> c).deadLetter((r, e) -> {
            throw new IllegalStateException("hook down");
        }).build();
        loop.pollOnce(c);
        assertThat(handled).containsExactly("b");
        assertThat(loop.recordsSkipped()).isEqualTo(1);
    }

    @Test
    void commitsOnlyWhileCommitWhenHoldsAndNeverWithCommitNone() throws Exception {
        MockConsumer<String, String> held = consumer("a");
        loop(() -> held).commitWhen(() -> false).build().pollOnce(held);
        assertThat(held.committed(Set.of(TP))).doesNotContainKey(TP);

        MockConsumer<String, String> none = consumer("a");
        loop(() -> none).commit(PollLoop.Commit.NONE, Duration.ofSeconds(1)).build().pollOnce(none);
        assertThat(none.committed(Set.of(TP))).doesNotContainKey(TP);
        assertThat(handled).containsExactly("a", "a");
    }

    /** A consumer that records every commit (each commit call of MockConsumer ends in commitAsync(Map, callback)). */
    static MockConsumer<String, String> recording(List<Map<TopicPartition, OffsetAndMetadata>> commits, String... values) {
        MockConsumer<String, String> c = new MockConsumer<>("earliest") {
            @Override
            public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                                 org.apache.kafka.clients.consumer.OffsetCommitCallback callback) {
                commits.add(Map.copyOf(offsets));
                super.commitAsync(offsets, callback);
            }
        };
        return filled(c, values);
    }

    @Test
    void suppliedOffsetsReplaceThePositionAndAreCommittedAfterAnyPollOnlyWhenTheyChanged() throws Exception {
        List<Map<TopicPartition, OffsetAndMetadata>> commits = new CopyOnWriteArrayList<>();
        MockConsumer<String, String> c = recording(commits, "a", "b", "c");
        java.util.concurrent.atomic.AtomicLong finishedUpTo = new java.util.concurrent.atomic.AtomicLong(1);
        PollLoop<String, String> loop = loop(() -> c)
                .commitOffsets(x -> Map.of(TP, new OffsetAndMetadata(finishedUpTo.get()))).build();
        loop.pollOnce(c);
        assertThat(handled).containsExactly("a", "b", "c");
        assertThat(c.committed(Set.of(TP))).as("the supplied offset, not the position 3").containsEntry(TP,
                new OffsetAndMetadata(1));
        loop.pollOnce(c);
        assertThat(commits).as("unchanged: not committed again").hasSize(1);
        finishedUpTo.set(3);
        loop.pollOnce(c); // an empty batch: the owner finished records since
        assertThat(c.committed(Set.of(TP))).containsEntry(TP, new OffsetAndMetadata(3));
        assertThat(commits).hasSize(2);

        List<Map<TopicPartition, OffsetAndMetadata>> none = new CopyOnWriteArrayList<>();
        MockConsumer<String, String> empty = recording(none, "a");
        loop(() -> empty).commitOffsets(x -> Map.of()).build().pollOnce(empty);
        assertThat(none).as("nothing supplied, nothing committed").isEmpty();
    }

    @Test
    void suppliedOffsetsAreCommittedAsynchronouslyAndAgainAfterAFailedCommit() throws Exception {
        List<Map<TopicPartition, OffsetAndMetadata>> commits = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean fail = new java.util.concurrent.atomic.AtomicBoolean(true);
        MockConsumer<String, String> c = new MockConsumer<>("earliest") {
            @Override
            public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets,
                                                 org.apache.kafka.clients.consumer.OffsetCommitCallback callback) {
                commits.add(Map.copyOf(offsets));
                if (fail.getAndSet(false)) {
                    callback.onComplete(offsets, new KafkaException("coordinator moved"));
                } else {
                    super.commitAsync(offsets, callback);
                }
            }
        };
        c.assign(List.of(TP));
        c.updateBeginningOffsets(Map.of(TP, 0L));
        PollLoop<String, String> loop = loop(() -> c).commit(PollLoop.Commit.ASYNC, Duration.ofSeconds(1))
                .commitOffsets(x -> Map.of(TP, new OffsetAndMetadata(5))).build();
        loop.pollOnce(c);
        assertThat(c.committed(Set.of(TP))).doesNotContainKey(TP);
        loop.pollOnce(c);
        assertThat(c.committed(Set.of(TP))).as("tried again after the failure").containsEntry(TP, new OffsetAndMetadata(5));
        loop.pollOnce(c);
        assertThat(commits).hasSize(2);
    }

    @Test
    void atStopTheLastCommitIsTheSuppliedOffsets() {
        List<Map<TopicPartition, OffsetAndMetadata>> commits = new CopyOnWriteArrayList<>();
        MockConsumer<String, String> c = recording(commits, "a", "b");
        PollLoop<String, String> loop = loop(() -> c).commitOffsets(x -> Map.of(TP, new OffsetAndMetadata(1)))
                .build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> handled.size() == 2);
        loop.stop();
        // once after the first poll (unchanged afterwards), once more at stop; never the position 2
        assertThat(commits).hasSize(2).allMatch(m -> m.equals(Map.of(TP, new OffsetAndMetadata(1))));
    }

    @Test
    void beforePollFalseIdlesWithoutPolling() throws Exception {
        MockConsumer<String, String> c = consumer("a");
        PollLoop<String, String> loop = loop(() -> c).beforePoll(x -> false).idle(Duration.ofMillis(70)).build();
        loop.pollOnce(c);
        assertThat(handled).isEmpty();
        assertThat(slept).containsExactly(Duration.ofMillis(70));
    }

    @Test
    void pollErrorsBackOffDoublingUpToTheMaximumWithANewConsumerEachTime() {
        Deque<MockConsumer<String, String>> consumers = new ArrayDeque<>();
        List<MockConsumer<String, String>> made = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            MockConsumer<String, String> failing = consumer();
            failing.setPollException(new KafkaException("broker down " + i));
            consumers.add(failing);
        }
        consumers.add(consumer("a"));
        List<Exception> failures = new CopyOnWriteArrayList<>();
        PollLoop<String, String> loop = loop(() -> {
            MockConsumer<String, String> c = consumers.isEmpty() ? consumer() : consumers.poll();
            made.add(c);
            return c;
        }).onFailure(failures::add).build().start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> handled.contains("a"));
            assertThat(loop.failures()).isEqualTo(4);
            assertThat(failures).hasSize(4);
            assertThat(slept).startsWith(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(350),
                    Duration.ofMillis(350));
            assertThat(made.subList(0, 4)).allMatch(MockConsumer::closed);
        } finally {
            loop.stop();
        }
    }

    @Test
    void setupThatCannotYetIsRetriedAfterABackOff() {
        MockConsumer<String, String> c = consumer("a");
        int[] tries = {0};
        PollLoop<String, String> loop = loop(() -> c).setup(x -> ++tries[0] >= 3).build().start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(loop::isReady);
            await().atMost(Duration.ofSeconds(10)).until(() -> handled.contains("a"));
            assertThat(slept).startsWith(Duration.ofMillis(100), Duration.ofMillis(200));
            assertThat(loop.failures()).isZero();
        } finally {
            loop.stop();
        }
    }

    @Test
    void stopWakesTheConsumerJoinsTheThreadClosesTheConsumerAndMayBeCalledAgain() {
        MockConsumer<String, String> c = consumer("a");
        List<String> lastWords = new CopyOnWriteArrayList<>();
        PollLoop<String, String> loop = loop(() -> c).onClose(x -> lastWords.add("closing")).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> handled.contains("a"));
        loop.stop();
        assertThat(c.closed()).isTrue();
        assertThat(loop.isReady()).isFalse();
        assertThat(lastWords).containsExactly("closing");
        loop.stop();
        loop.close();
        assertThat(lastWords).containsExactly("closing");
    }

    @Test
    void stopBeforeStartAndStopDuringABackOffReturn() {
        loop(() -> consumer()).build().stop();
        MockConsumer<String, String> failing = consumer();
        failing.setPollException(new KafkaException("down"));
        // the real sleeper: a 1 h back-off that stop() cuts short
        PollLoop<String, String> loop = PollLoop.<String, String>builder("slow", () -> failing)
                .handler(r -> { })
                .backoff(Duration.ofHours(1), Duration.ofHours(1)).build().start();
        await().atMost(Duration.ofSeconds(10)).until(() -> loop.failures() == 1);
        loop.stop();
        assertThat(failing.closed()).isTrue();
    }

    @Test
    void theLagIsWhatTheAssignedPartitionsHaveLeft() throws Exception {
        MockConsumer<String, String> c = consumer("a", "b", "c");
        c.updateEndOffsets(Map.of(TP, 10L));
        PollLoop<String, String> loop = loop(() -> c).build();
        loop.pollOnce(c);
        assertThat(loop.lag()).isEqualTo(7);
    }

    @Test
    void aHandlerIsRequired() {
        assertThatThrownBy(() -> PollLoop.<String, String>builder("x", () -> consumer()).build())
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void readToEndReadsUpToTheEndItFoundAndSkipsABadRecord() {
        MockConsumer<String, String> c = new MockConsumer<>("earliest");
        c.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
        c.updateBeginningOffsets(Map.of(TP, 0L));
        c.updateEndOffsets(Map.of(TP, 3L));
        c.schedulePollTask(() -> {
            c.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "k0", "a"));
            c.addRecord(new ConsumerRecord<>(TOPIC, 0, 1, "k1", "bad"));
            c.addRecord(new ConsumerRecord<>(TOPIC, 0, 2, "k2", "c"));
        });
        List<String> read = new ArrayList<>();
        PollLoop.readToEnd(c, TOPIC, Duration.ofSeconds(1), r -> {
            if (r.value().equals("bad")) {
                throw new IllegalArgumentException("bad");
            }
            read.add(r.value());
        });
        assertThat(read).containsExactly("a", "c");
    }

    @Test
    void readToEndOfAMissingTopicReadsNothingAndGivesUpAfterItsDeadline() {
        MockConsumer<String, String> missing = new MockConsumer<>("earliest");
        List<String> read = new ArrayList<>();
        PollLoop.readToEnd(missing, "nope", Duration.ofSeconds(1), r -> read.add(r.value()));
        assertThat(read).isEmpty();

        MockConsumer<String, String> stuck = new MockConsumer<>("earliest");
        stuck.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
        stuck.updateBeginningOffsets(Map.of(TP, 0L));
        stuck.updateEndOffsets(Map.of(TP, 5L));
        long[] now = {0};
        assertThatThrownBy(() -> ReadToEnd.read(stuck, TOPIC, Duration.ofSeconds(1), () -> now[0] += 1_000_000_000L,
                r -> { })).isInstanceOf(IllegalStateException.class).hasMessageContaining("timed out");
    }
}
