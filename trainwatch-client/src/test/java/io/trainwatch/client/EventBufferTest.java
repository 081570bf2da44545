package io.trainwatch.client;

import io.trainwatch.events.Contract;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.ValidationEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class EventBufferTest {

    private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

    static StepEvent step(String run, long s) {
        return new StepEvent(Contract.SCHEMA_VERSION, run, T, null, null, s, 0, Double.NaN, null, null, null, null,
                null, null, null, null);
    }

    static ValidationEvent validation(String run, long s) {
        return new ValidationEvent(Contract.SCHEMA_VERSION, run, T, null, null, s, 0, 1.0, 0.5, 1.0, 0.5);
    }

    static RunFinished finished(String run) {
        return new RunFinished(Contract.SCHEMA_VERSION, run, T, null, null, RunFinished.COMPLETED, null, 9, 0L);
    }

    private static List<TrainingEvent> drain(EventBuffer b) throws InterruptedException {
        List<TrainingEvent> out = new ArrayList<>();
        TrainingEvent e;
        while ((e = b.poll(0, TimeUnit.MILLISECONDS)) != null) {
            out.add(e);
        }
        return out;
    }

    @Test
    void belowCapacityEverythingIsKeptInOrder() throws Exception {
        EventBuffer b = new EventBuffer(10, 0);
        for (int i = 0; i < 5; i++) {
            assertThat(b.offer(step("r", i))).isTrue();
        }
        assertThat(drain(b)).extracting(TrainingEvent::stepOrMinusOne).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(b.droppedTotal()).isZero();
    }

    @Test
    void whenFullTheOldestStepMakesRoomForTheNewest() throws Exception {
        EventBuffer b = new EventBuffer(3, 0);
        for (int i = 0; i < 6; i++) {
            b.offer(step("r", i));
        }
        assertThat(drain(b)).extracting(TrainingEvent::stepOrMinusOne).containsExactly(3L, 4L, 5L);
        assertThat(b.dropped("r")).isEqualTo(3);
    }

    @Test
    void keptEventsEvictStepsAndSurviveOverflow() throws Exception {
        EventBuffer b = new EventBuffer(3, 2);
        b.offer(step("r", 0));
        b.offer(validation("r", 0));
        b.offer(step("r", 1));
        b.offer(finished("r")); // full: evicts step 0
        assertThat(drain(b)).extracting(TrainingEvent::type).containsExactly("validation", "step", "run-finished");
        assertThat(b.takeDropped("r")).isEqualTo(1);
        assertThat(b.takeDropped("r")).as("taken once").isZero();
    }

    @Test
    void aQueueFullOfKeptEventsUsesTheReserveThenDropsAndCounts() throws Exception {
        EventBuffer b = new EventBuffer(2, 1);
        assertThat(b.offer(validation("r", 0))).isTrue();
        assertThat(b.offer(validation("r", 1))).isTrue();
        assertThat(b.offer(step("r", 2))).as("a step never takes the reserve").isFalse();
        assertThat(b.offer(validation("r", 3))).as("the reserve").isTrue();
        assertThat(b.offer(validation("r", 4))).isFalse();
        assertThat(b.dropped("r")).isEqualTo(2);
        assertThat(drain(b)).hasSize(3);
    }

    @Test
    void dropsAreCountedPerRun() {
        EventBuffer b = new EventBuffer(1, 0);
        b.offer(step("a", 0));
        b.offer(step("b", 0)); // drops a's step
        b.offer(step("b", 1)); // drops b's step 0
        assertThat(b.dropped("a")).isEqualTo(1);
        assertThat(b.dropped("b")).isEqualTo(1);
        assertThat(b.droppedTotal()).isEqualTo(2);
    }

    @Test
    void pushBackPutsAnEventAtTheHead() throws Exception {
        EventBuffer b = new EventBuffer(5, 0);
        b.offer(step("r", 1));
        b.pushBack(finished("r"));
        assertThat(drain(b)).extracting(TrainingEvent::type).containsExactly("run-finished", "step");
    }

    @Test
    void pollWaitsOnlyAsLongAsAsked() throws Exception {
        EventBuffer b = new EventBuffer(5, 0);
        long t0 = System.nanoTime();
        assertThat(b.poll(20, TimeUnit.MILLISECONDS)).isNull();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(15));
    }

    @Test
    void addSaysWhatItDropped() {
        EventBuffer b = new EventBuffer(2, 1);
        assertThat(b.add(step("r", 0))).isZero();
        assertThat(b.add(validation("r", 1))).isZero();
        assertThat(b.add(step("r", 2))).as("evicts step 0").isEqualTo(1);
        assertThat(b.add(step("r", 3))).as("evicts step 2").isEqualTo(1);
        assertThat(b.add(finished("r"))).as("evicts step 3").isEqualTo(1);
        assertThat(b.add(step("r", 4))).as("no step left to evict: the step itself").isEqualTo(-1);
        assertThat(b.droppedTotal()).isEqualTo(4);
        assertThat(b.dropped("r")).isEqualTo(4);
    }

    @Test
    void drainToTakesAtMostMaxInOrderWithoutWaitingWhenThereIsSomething() throws Exception {
        EventBuffer b = new EventBuffer(10, 0);
        for (int i = 0; i < 5; i++) {
            b.offer(step("r", i));
        }
        List<TrainingEvent> out = new ArrayList<>();
        long t0 = System.nanoTime();
        assertThat(b.drainTo(out, 3, 10, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(out).extracting(TrainingEvent::stepOrMinusOne).containsExactly(0L, 1L, 2L);
        assertThat(b.size()).isEqualTo(2);
        out.clear();
        assertThat(b.drainTo(out, 0, 0, TimeUnit.MILLISECONDS)).isZero();
    }

    @Test
    void pushedBackEventsKeepTheirOrderAndTheQueueShrinksBackToItsCapacity() throws Exception {
        EventBuffer b = new EventBuffer(3, 0);
        for (int i = 0; i < 3; i++) {
            b.offer(step("r", i));
        }
        List<TrainingEvent> taken = new ArrayList<>();
        b.drainTo(taken, 3, 0, TimeUnit.MILLISECONDS);
        b.offer(step("r", 3));
        b.offer(validation("r", 4));
        b.offer(step("r", 5));
        b.pushBackAll(taken); // the publisher could not send them: back at the head, before the newer ones
        assertThat(b.size()).isEqualTo(6);
        assertThat(b.add(step("r", 6))).as("evicts steps 0..3 to get below capacity again").isEqualTo(4);
        assertThat(drain(b)).extracting(TrainingEvent::stepOrMinusOne).containsExactly(4L, 5L, 6L);
        b.pushBackAll(List.of());
        assertThat(b.size()).isZero();
    }

    @Test
    void aStepAloneDoesNotWakeTheConsumerOtherEventsDo() throws Exception {
        EventBuffer b = new EventBuffer(10_000, 0);
        List<TrainingEvent> drained = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread consumer = waitingConsumer(b, 100, drained);
        b.offer(step("r", 0));
        consumer.join(300);
        assertThat(consumer.isAlive()).as("one step does not wake the publisher").isTrue();
        b.offer(validation("r", 0));
        consumer.join(10_000);
        assertThat(consumer.isAlive()).as("a validation event wakes it at once").isFalse();
        assertThat(drained).extracting(TrainingEvent::type).containsExactly("step", "validation");
    }

    @Test
    void aBacklogOfStepsWakesTheConsumer() throws Exception {
        EventBuffer b = new EventBuffer(10_000, 0);
        List<TrainingEvent> drained = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread consumer = waitingConsumer(b, 10_000, drained);
        for (int i = 0; i < EventBuffer.WAKE_AT; i++) {
            b.offer(step("r", i));
        }
        consumer.join(10_000);
        assertThat(consumer.isAlive()).isFalse();
        assertThat(drained).hasSize(EventBuffer.WAKE_AT);
    }

    /** A publisher-like thread blocked in {@code drainTo} (up to 30 s) that puts what it got into {@code drained}. */
    private static Thread waitingConsumer(EventBuffer b, int max, List<TrainingEvent> drained) {
        Thread consumer = new Thread(() -> {
            List<TrainingEvent> out = new ArrayList<>();
            try {
                b.drainTo(out, max, 30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            drained.addAll(out);
        });
        consumer.setDaemon(true);
        consumer.start();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(b::hasWaitingConsumer);
        return consumer;
    }
}
