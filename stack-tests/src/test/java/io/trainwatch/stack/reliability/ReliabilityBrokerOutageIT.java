package io.trainwatch.stack.reliability;

import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.stack.RecordTap;
import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker stopped (SIGTERM, its clean shutdown) for {@link #OUTAGE} while a run trains, then started again with
 * the same data directory and ports. The trainer keeps training (its publisher never blocks the training thread),
 * spills the events it cannot send to its spill file and sends them, in order, once the broker is back. Figures:
 * steps trained against steps on {@code training.events} (lost, duplicated), the median step time during the outage
 * against before it (the steps' own {@code stepMillis}), how long the backlog took to arrive, how long until every
 * service was ready again. The run is stopped over REST 50 steps after the backlog arrived and must end
 * {@code stopped} with every step on the topic.
 */
class ReliabilityBrokerOutageIT {

    static final Duration OUTAGE = Duration.ofSeconds(20);

    private final ReliabilityStack rs = ReliabilityStack.get();
    private final String runId = "rel-outage-" + Long.toString(System.currentTimeMillis(), 36);

    @Test
    void aRunTrainingThroughABrokerOutageLosesNoStepAndEnds() throws Exception {
        rs.awaitAllReady(Duration.ofSeconds(120));
        double spilledBefore = rs.metric(Service.TRAINER, "trainer_events_spilled_total");
        double replayedBefore = rs.metric(Service.TRAINER, "trainer_events_replayed_total");
        try (RecordTap tap = new RecordTap(rs.bootstrapServers(), true, runId::equals, Topics.TRAINING_EVENTS)) {
            rs.startRun("""
                    {"runId": "%s", "scenario": "healthy", "steps": 1000000, "control": {"mode": "off"}}""".formatted(runId));
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> steps(tap).size() >= 300);
            Instant stoppedAt = Instant.now();
            long stopNanos = System.nanoTime();
            rs.broker().stop();
            long stoppedNanos = System.nanoTime();
            long stepAtStop = rs.run(runId).path("step").asLong();
            TimeUnit.MILLISECONDS.sleep(Math.max(0, OUTAGE.toMillis() - (System.nanoTime() - stopNanos) / 1_000_000));
            long stepBeforeRestart = rs.run(runId).path("step").asLong();
            double spilledDuring = rs.metric(Service.TRAINER, "trainer_events_spilled_total") - spilledBefore;
            long restartNanos = System.nanoTime();
            rs.broker().start();
            long backAt = System.nanoTime();
            Instant backInstant = Instant.now();
            long stepAtBack = rs.run(runId).path("step").asLong();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> steps(tap).stream().anyMatch(s -> s.step() >= stepAtBack));
            long drainedAt = System.nanoTime();
            long arrivedAt = tap.of(Topics.TRAINING_EVENTS).stream().mapToLong(RecordTap.Rec::arrivedNanos).max().orElse(0);
            rs.awaitAllReady(Duration.ofSeconds(120));
            long allReadyAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(60)).until(() -> rs.run(runId).path("step").asLong() >= stepAtBack + 50);
            assertThat(rs.stack().postJson(Service.TRAINER, "/runs/" + runId + "/stop", "{}").statusCode()).isEqualTo(202);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> events(tap).stream().anyMatch(e -> e instanceof RunFinished));
            TimeUnit.SECONDS.sleep(1);

            List<StepEvent> steps = steps(tap);
            RunFinished end = events(tap).stream().filter(e -> e instanceof RunFinished).map(e -> (RunFinished) e)
                    .findFirst().orElseThrow();
            Map<Long, Integer> count = new HashMap<>();
            steps.forEach(s -> count.merge(s.step(), 1, Integer::sum));
            long trained = end.step() + 1;
            long lost = 0;
            for (long s = 0; s < trained; s++) {
                if (!count.containsKey(s)) {
                    lost++;
                }
            }
            long duplicated = count.values().stream().mapToLong(c -> c - 1).sum();
            boolean inOrder = true;
            for (int i = 1; i < steps.size(); i++) {
                inOrder &= steps.get(i).step() > steps.get(i - 1).step();
            }
            Instant outageStart = stoppedAt;
            double before = median(steps.stream().filter(s -> s.timestamp().isBefore(outageStart)
                    && s.timestamp().isAfter(outageStart.minusSeconds(10))).toList());
            double during = median(steps.stream().filter(s -> s.timestamp().isAfter(outageStart)
                    && s.timestamp().isBefore(backInstant)).toList());

            Map<String, Object> f = new LinkedHashMap<>();
            f.put("broker stop s (SIGTERM to exit)", ReliabilityStack.seconds(stoppedNanos - stopNanos));
            f.put("broker down s (stop to restart)", ReliabilityStack.seconds(restartNanos - stopNanos));
            f.put("broker restart s (to ready)", ReliabilityStack.seconds(backAt - restartNanos));
            f.put("steps trained", trained);
            f.put("steps received", count.size());
            f.put("lost", lost);
            f.put("duplicated", duplicated);
            f.put("in order", inOrder);
            f.put("steps trained while stopped", stepBeforeRestart - stepAtStop);
            f.put("steps trained stop to ready", stepAtBack - stepAtStop);
            f.put("events spilled while stopped", (long) spilledDuring);
            f.put("events replayed", (long) (rs.metric(Service.TRAINER, "trainer_events_replayed_total") - replayedBefore));
            f.put("median step ms before", before);
            f.put("median step ms during", during);
            f.put("step-time ratio during/before", during / before);
            f.put("drain s (broker ready to the step trained then on the topic)", ReliabilityStack.seconds(drainedAt - backAt));
            f.put("last backlog record arrived s after broker ready", ReliabilityStack.seconds(Math.max(0, arrivedAt - backAt)));
            f.put("all services ready s after broker ready", ReliabilityStack.seconds(allReadyAt - backAt));
            f.put("run end", end.status() + " at step " + end.step() + ", droppedEvents " + end.droppedEvents());
            ReliabilityStack.report("broker-outage", f);

            assertThat(stepBeforeRestart - stepAtStop).as("the run trained on while the broker was away").isPositive();
            assertThat(lost).as("steps lost").isZero();
            assertThat(duplicated).as("steps duplicated").isZero();
            assertThat(end.status()).isEqualTo(RunFinished.STOPPED);
            assertThat(end.droppedEvents()).isIn(null, 0L);
        }
    }

    private static double median(List<StepEvent> steps) {
        double[] v = steps.stream().filter(s -> s.stepMillis() != null).mapToDouble(StepEvent::stepMillis).sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    private static List<TrainingEvent> events(RecordTap tap) {
        return tap.events();
    }

    private static List<StepEvent> steps(RecordTap tap) {
        return events(tap).stream().filter(e -> e instanceof StepEvent).map(e -> (StepEvent) e).toList();
    }
}
