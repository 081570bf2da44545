package io.trainwatch.client;

import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker is away while a run publishes far more steps than the in-memory queue holds: with a spill, every
 * step reaches the topic in order once the broker is there, none lost; with a tiny spill, what does not fit is
 * dropped and counted, and what arrives is still in order; what a publisher closed during the outage left on
 * disk is sent by the next publisher of that spill. And a broker stopped and restarted under a connected
 * publisher loses nothing either.
 */
class SpillKafkaIT {

    private static final int STEPS = 20_000;
    private static final int QUEUE = 10_000; // the default: half of the steps published during the outage
    private static final long TINY_SPILL = 64 * 1024;

    @TempDir
    Path spillParent;

    @Test
    void stepsPublishedWhileTheBrokerIsAwayAllArriveInOrderAfterwards() throws Exception {
        try (StoppableBroker broker = new StoppableBroker()) {
            String bootstrap = broker.bootstrapServers(); // nothing listens there yet
            PublisherMetrics.Counters big = PublisherMetrics.counters();
            PublisherMetrics.Counters tiny = PublisherMetrics.counters();
            String runA = "spill-a-" + System.nanoTime();
            String runB = "spill-b-" + System.nanoTime();
            KafkaEventPublisher a = publisher(bootstrap, big, SpillFile.open(spillParent, "a", SpillFile.DEFAULT_MAX_BYTES));
            KafkaEventPublisher b = publisher(bootstrap, tiny, SpillFile.open(spillParent, "b", TINY_SPILL));
            // A process that ends during the outage: what it could not send waits on disk for the next one.
            String runC = "spill-c-" + System.nanoTime();
            KafkaEventPublisher c = publisher(bootstrap, null, SpillFile.open(spillParent, "c", SpillFile.DEFAULT_MAX_BYTES));
            for (int i = 0; i < 1000; i++) {
                c.publish(EventBufferTest.step(runC, i));
            }
            c.publish(EventBufferTest.finished(runC));
            c.close(Duration.ofSeconds(2));
            try (var files = Files.list(spillParent.resolve("c"))) {
                assertThat(files.filter(f -> f.toString().endsWith(".spill")).count()).as("left on disk").isPositive();
            }
            long worst = 0;
            try {
                a.publish(EventBufferTest.validation(runA, 0));
                b.publish(EventBufferTest.validation(runB, 0));
                long t0 = System.nanoTime();
                for (int i = 0; i < STEPS; i++) {
                    long s = System.nanoTime();
                    a.publish(EventBufferTest.step(runA, i));
                    b.publish(EventBufferTest.step(runB, i));
                    worst = Math.max(worst, System.nanoTime() - s);
                    LockSupport.parkNanos(200_000); // a fast training step
                }
                a.publish(EventBufferTest.finished(runA));
                b.publish(EventBufferTest.finished(runB));
                double outage = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(500);
                System.out.printf("SpillKafkaIT: during the outage (%.1f s): big spill %d spilled, %d lost (%d spill full);"
                                + " tiny spill %d spilled, %d lost (%d spill full)%n", outage, big.spilledCount(),
                        big.droppedCount(), big.spillFullCount(), tiny.spilledCount(), tiny.droppedCount(),
                        tiny.spillFullCount());
                assertThat(a.spilling()).isTrue();
                assertThat(big.spillBytesNow()).isPositive();
                assertThat(big.spilledCount()).as("steps beyond the queue went to disk").isGreaterThan(STEPS - QUEUE);
                assertThat(big.droppedCount()).isZero();
                assertThat(tiny.spillFullCount()).isPositive();
                try (var files = Files.list(spillParent.resolve("a"))) {
                    assertThat(files.filter(f -> f.toString().endsWith(".spill")).count()).isPositive();
                }

                long startAt = System.nanoTime();
                broker.start();
                long ready = System.nanoTime();
                long firstReplay = 0;
                long giveUp = ready + Duration.ofSeconds(120).toNanos();
                while (a.spilling() && System.nanoTime() < giveUp) {
                    if (firstReplay == 0 && big.replayedCount() > 0) {
                        firstReplay = System.nanoTime(); // the retry backoff (at most 5 s) is over
                    }
                    Thread.sleep(5);
                }
                a.flush(Duration.ofSeconds(60));
                long drained = System.nanoTime();
                firstReplay = firstReplay == 0 ? drained : firstReplay;
                b.flush(Duration.ofSeconds(60));
                assertThat(a.spilling()).isFalse();
                assertThat(b.spilling()).isFalse();

                PublisherMetrics.Counters next = PublisherMetrics.counters();
                KafkaEventPublisher c2 = publisher(bootstrap, next, SpillFile.open(spillParent, "c", SpillFile.DEFAULT_MAX_BYTES));
                c2.flush(Duration.ofSeconds(60));
                c2.close();
                List<TrainingEvent> gotC = read(bootstrap, runC, 1001);
                assertThat(gotC).extracting(TrainingEvent::stepOrMinusOne).startsWith(0L, 1L, 2L).hasSize(1001);
                for (int i = 0; i < 1000; i++) {
                    assertThat(gotC.get(i).stepOrMinusOne()).isEqualTo(i);
                }
                assertThat(gotC.get(1000)).isInstanceOf(RunFinished.class);
                assertThat(next.replayedCount()).isEqualTo(1001);
                assertThat(spillParent.resolve("c")).doesNotExist();

                List<TrainingEvent> gotA = read(bootstrap, runA, STEPS + 2);
                List<TrainingEvent> gotB = read(bootstrap, runB, -1);
                System.out.printf("SpillKafkaIT: %d steps published per run during a %.1f s outage (worst publish %.2f ms);"
                                + " big spill: %d spilled, %d replayed, %d lost, %d corrupt, drained %.1f s after the broker"
                                + " was ready (it took %.1f s to start; the first retry came %.1f s after it was ready); tiny spill (%d KiB): %d spilled, %d replayed, %d lost"
                                + " (spill full), %d steps arrived; %d events left on disk by a closed publisher sent by the next%n",
                        STEPS, outage, worst / 1e6, big.spilledCount(), big.replayedCount(), big.droppedCount(),
                        big.spillCorruptCount(), (drained - ready) / 1e9, (ready - startAt) / 1e9, (firstReplay - ready) / 1e9,
                        TINY_SPILL / 1024,
                        tiny.spilledCount(), tiny.replayedCount(), tiny.droppedCount(),
                        gotB.stream().filter(e -> e instanceof StepEvent).count(), next.replayedCount());

                // The big spill: everything, in order, nothing lost.
                assertThat(gotA).hasSize(STEPS + 2);
                assertThat(gotA.get(0).type()).isEqualTo("validation");
                for (int i = 0; i < STEPS; i++) {
                    assertThat(gotA.get(i + 1).stepOrMinusOne()).isEqualTo(i);
                }
                assertThat(((RunFinished) gotA.get(STEPS + 1)).droppedEvents()).isZero();
                assertThat(big.droppedCount()).isZero();
                assertThat(big.replayedCount()).isEqualTo(big.spilledCount());
                assertThat(big.spillBytesNow()).isZero();
                assertThat(big.publishedCount()).isEqualTo(STEPS + 2);
                try (var files = Files.list(spillParent.resolve("a"))) {
                    assertThat(files.map(f -> f.getFileName().toString())).as("the spill is deleted once drained")
                            .containsExactly("lock");
                }

                // The tiny spill: the excess is lost and counted, the rest arrives in order.
                long lost = tiny.droppedCount();
                assertThat(lost).isPositive().isEqualTo(tiny.spillFullCount());
                List<Long> stepsB = gotB.stream().filter(e -> e instanceof StepEvent).map(TrainingEvent::stepOrMinusOne)
                        .toList();
                assertThat(stepsB).isSorted().doesNotHaveDuplicates();
                assertThat(stepsB.size() + lost).isEqualTo(STEPS);
                assertThat(gotB.get(0).type()).isEqualTo("validation");
                TrainingEvent lastB = gotB.get(gotB.size() - 1);
                assertThat(lastB).isInstanceOf(RunFinished.class);
                assertThat(((RunFinished) lastB).droppedEvents()).isEqualTo(lost);
            } finally {
                a.close(Duration.ofSeconds(5));
                b.close(Duration.ofSeconds(5));
            }
            assertThat(spillParent.resolve("a")).as("nothing is left once closed").doesNotExist();
        }
    }

    @Test
    void aBrokerStoppedUnderARunningPublisherLosesNothing() throws Exception {
        try (StoppableBroker broker = new StoppableBroker()) {
            broker.start();
            String bootstrap = broker.bootstrapServers();
            PublisherMetrics.Counters m = PublisherMetrics.counters();
            String run = "spill-stop-" + System.nanoTime();
            KafkaEventPublisher p = publisher(bootstrap, m, SpillFile.open(spillParent, "stop", SpillFile.DEFAULT_MAX_BYTES));
            int before = 2_000;
            int during = 20_000;
            try {
                for (int i = 0; i < before; i++) {
                    p.publish(EventBufferTest.step(run, i));
                }
                p.flush(Duration.ofSeconds(60));
                // Every acknowledgement in before the stop: requests in flight at the stop are another matter (see
                // the README's spill section).
                long acked = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (m.publishedCount() < before && System.nanoTime() < acked) {
                    Thread.sleep(5);
                }
                broker.stop();
                long t0 = System.nanoTime();
                for (int i = before; i < before + during; i++) {
                    p.publish(EventBufferTest.step(run, i));
                    LockSupport.parkNanos(200_000);
                }
                p.publish(EventBufferTest.finished(run));
                double outage = (System.nanoTime() - t0) / 1e9;
                long restart = System.nanoTime();
                broker.start();
                long ready = System.nanoTime();
                long giveUp = ready + Duration.ofSeconds(120).toNanos();
                while ((p.spilling() || m.publishedCount() < before + during + 1) && System.nanoTime() < giveUp) {
                    Thread.sleep(5);
                }
                long drained = System.nanoTime();
                List<TrainingEvent> got = read(bootstrap, run, before + during + 1);
                System.out.printf("SpillKafkaIT: broker stopped under a running publisher: %d steps before, %d during a"
                                + " %.1f s outage; %d spilled, %d replayed, %d lost, %d failed; the broker took %.1f s to"
                                + " restart, all acknowledged %.1f s after it was ready%n", before, during, outage,
                        m.spilledCount(), m.replayedCount(), m.droppedCount(), m.failedCount(), (ready - restart) / 1e9,
                        (drained - ready) / 1e9);
                assertThat(got).hasSize(before + during + 1);
                for (int i = 0; i < before + during; i++) {
                    assertThat(got.get(i).stepOrMinusOne()).isEqualTo(i);
                }
                assertThat(((RunFinished) got.get(before + during)).droppedEvents()).isZero();
                assertThat(m.droppedCount()).isZero();
            } finally {
                p.close(Duration.ofSeconds(5));
            }
        }
    }

    private static KafkaEventPublisher publisher(String bootstrap, PublisherMetrics metrics, SpillFile spill) {
        return new KafkaEventPublisher(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                Topics.TRAINING_EVENTS, new EventBuffer(QUEUE, 2_000), Duration.ofMillis(200), metrics, spill);
    }

    /** A run's events on the topic, in order: {@code expected} of them, or (-1) up to its run-finished. */
    private static List<TrainingEvent> read(String bootstrap, String runId, int expected) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<TrainingEvent> got = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.TRAINING_EVENTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (runId.equals(r.key())) {
                        got.add(EventCodec.readTrainingEvent(r.value()).value());
                    }
                }
                if (expected >= 0 ? got.size() >= expected
                        : !got.isEmpty() && got.get(got.size() - 1) instanceof RunFinished) {
                    break;
                }
            }
        }
        return got;
    }
}
