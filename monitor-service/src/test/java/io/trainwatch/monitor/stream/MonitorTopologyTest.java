package io.trainwatch.monitor.stream;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DeadLetter;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.Topics;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunObserver;
import io.trainwatch.monitor.engine.RunStateCodec;
import io.trainwatch.monitor.support.SyntheticRuns;
import io.trainwatch.monitor.support.TestConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import io.trainwatch.monitor.engine.RunState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The topology with explicit record timestamps: alerts keyed by run, bad bytes to the DLQ, idle runs evicted. */
class MonitorTopologyTest {

    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> events;
    private TestOutputTopic<String, byte[]> alerts;
    private TestOutputTopic<String, byte[]> dlq;
    private final AtomicInteger evicted = new AtomicInteger();
    private final AtomicInteger deadLettered = new AtomicInteger();
    private final List<String> malformed = new java.util.ArrayList<>();

    @BeforeEach
    void start() {
        RunObserver observer = new RunObserver() {
            @Override
            public void evicted(String runId) {
                evicted.incrementAndGet();
            }

            @Override
            public void deadLettered(String reason) {
                deadLettered.incrementAndGet();
            }

            @Override
            public void malformedFields(List<String> fields) {
                malformed.addAll(fields);
            }
        };
        var topology = MonitorTopology.build(new RunMonitor(TestConfig.defaults()), observer, Duration.ofMinutes(10),
                Duration.ofMinutes(1));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "monitor-topology-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, "target/kafka-streams-test");
        driver = new TopologyTestDriver(topology, props, T0);
        events = driver.createInputTopic(Topics.TRAINING_EVENTS, Serdes.String().serializer(),
                Serdes.ByteArray().serializer(), T0, Duration.ofMillis(10));
        alerts = driver.createOutputTopic(Topics.TRAINING_ALERTS, Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
        dlq = driver.createOutputTopic(Topics.TRAINING_EVENTS_DLQ, Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void pipe(List<TrainingEvent> run) {
        for (TrainingEvent e : run) {
            events.pipeInput(e.runId(), EventCodec.write(e), e.timestamp());
        }
    }

    @Test
    void aPathologicalRunGivesItsAlertsKeyedByRunId() {
        SyntheticRuns.Labelled run = SyntheticRuns.exploding(1);
        pipe(run.events());
        var out = alerts.readKeyValuesToList();
        assertThat(out).isNotEmpty();
        assertThat(out).allSatisfy(kv -> assertThat(kv.key).isEqualTo("synthetic-exploding-s1"));
        List<Alert> decoded = out.stream().map(kv -> EventCodec.readAlert(kv.value).value()).toList();
        assertThat(decoded).extracting(Alert::detector).contains("exploding-gradients", "divergence");
        assertThat(decoded).filteredOn(a -> a.status().equals(Alert.FIRING))
                .allSatisfy(a -> assertThat(a.alertId()).isEqualTo(Alert.fingerprint(a.runId(), a.detector(), a.step())));
        assertThat(dlq.isEmpty()).isTrue();
    }

    @Test
    void aHealthyRunGivesNoAlertAndKeepsASmallState() {
        SyntheticRuns.Labelled run = SyntheticRuns.healthy(2);
        pipe(run.events());
        assertThat(alerts.isEmpty()).isTrue();
        RunStateStore store = (RunStateStore) driver.getStateStore(MonitorTopology.STORE);
        RunState state = store.get("synthetic-healthy-s2");
        assertThat(RunStateCodec.write(state).length).isLessThan(4096);
        assertThat(state.steps).isEqualTo(400);
    }

    @Test
    void eachCommitWritesTheChangedStatesToTheChangelog() {
        List<TrainingEvent> run = SyntheticRuns.healthy(4).events();
        pipe(run.subList(0, 120));
        TestOutputTopic<String, byte[]> changelog = driver.createOutputTopic(
                "monitor-topology-test-" + MonitorTopology.STORE + "-changelog", Serdes.String().deserializer(),
                Serdes.ByteArray().deserializer());
        var written = changelog.readKeyValuesToList();
        assertThat(written).isNotEmpty().allSatisfy(kv -> assertThat(kv.key).isEqualTo("synthetic-healthy-s4"));
        // The test driver commits after every record: the last state written is the state after the 120th event.
        RunState last = RunStateCodec.read(written.get(written.size() - 1).value);
        RunState live = ((RunStateStore) driver.getStateStore(MonitorTopology.STORE)).get("synthetic-healthy-s4");
        assertThat(last.lastStep).isEqualTo(live.lastStep).isEqualTo(run.get(119).stepOrMinusOne() < 0
                ? live.lastStep : run.get(119).stepOrMinusOne());
        assertThat(RunStateCodec.write(last)).isEqualTo(RunStateCodec.write(live));
    }

    @Test
    void moreRunsThanTheCacheKeepsAreReadBackFromTheStore() {
        int runs = RunStateStore.CACHED_RUNS + 500;
        List<TrainingEvent> first = SyntheticRuns.healthy(5).events();
        for (int step = 0; step < 3; step++) {
            for (int r = 0; r < runs; r++) {
                TrainingEvent e = first.get(step);
                String json = EventCodec.writeString(e).replace("\"runId\":\"" + e.runId() + "\"",
                        "\"runId\":\"many-" + r + "\"");
                events.pipeInput("many-" + r, json.getBytes(StandardCharsets.UTF_8), e.timestamp());
            }
        }
        RunStateStore store = (RunStateStore) driver.getStateStore(MonitorTopology.STORE);
        assertThat(store.cachedRuns()).isLessThanOrEqualTo(RunStateStore.CACHED_RUNS);
        // The runs dropped from the cache first were decoded from the store for their later events: none restarted.
        long steps = first.subList(0, 3).stream().filter(e -> e instanceof io.trainwatch.events.StepEvent).count();
        assertThat(steps).isPositive();
        assertThat(store.get("many-0").steps).isEqualTo(steps);
        assertThat(store.get("many-" + (runs - 1)).steps).isEqualTo(steps);
        assertThat(dlq.isEmpty()).isTrue();
    }

    /**
     * Optional metrics of the wrong type are dropped from a valid event, never silently: each is counted by field,
     * and the producer finds a warning letter on the DLQ (at most one a minute per run and field).
     */
    @Test
    void malformedOptionalFieldsAreCountedAndReportedAsWarningLetters() {
        String head = "{\"schemaVersion\":1,\"type\":\"step\",\"runId\":\"run-w\",\"timestamp\":\"2026-11-23T10:00:00Z\","
                + "\"loss\":1.5,\"step\":";
        String[] bad = {"\"gradientNorm\":\"big\"", "\"layerGradientNorms\":[1,2]", "\"layerGradientNorms\":{\"layer0\":\"x\"}",
                "\"layerGradientNorms\":{\"layer0\":null}", "\"accuracy\":{}"};
        for (int i = 0; i < bad.length; i++) {
            events.pipeInput("run-w", (head + i + "," + bad[i] + "}").getBytes(StandardCharsets.UTF_8), T0.plusMillis(i));
        }
        // The same malformed field again within the minute: counted, no second letter.
        events.pipeInput("run-w", (head + "5,\"gradientNorm\":\"big\"}").getBytes(StandardCharsets.UTF_8), T0.plusMillis(5));
        var letters = dlq.readValuesToList().stream().map(v -> EventCodec.readDeadLetter(v).value()).toList();
        assertThat(letters).hasSize(3).allSatisfy(l -> {
            assertThat(l.accepted()).isTrue();
            assertThat(l.disposition()).isEqualTo(DeadLetter.ACCEPTED_WITH_WARNINGS);
            assertThat(l.key()).isEqualTo("run-w");
        });
        assertThat(letters.get(0).reason()).contains("field 'gradientNorm' must be a number, was the string 'big'");
        assertThat(letters.get(1).reason()).contains("field 'layerGradientNorms' must be an object of numbers");
        assertThat(letters.get(2).reason()).contains("field 'accuracy'");
        assertThat(malformed).containsExactly("gradientNorm", "layerGradientNorms", "layerGradientNorms",
                "layerGradientNorms", "accuracy", "gradientNorm");
        assertThat(deadLettered).hasValue(0); // nothing rejected: every step was used
        driver.advanceWallClockTime(Duration.ofSeconds(61));
        events.pipeInput("run-w", (head + "6,\"gradientNorm\":\"big\"}").getBytes(StandardCharsets.UTF_8), T0.plusSeconds(61));
        assertThat(dlq.readValuesToList()).hasSize(1);
    }

    @Test
    void badBytesGoToTheDeadLetterTopicAndProcessingGoesOn() {
        events.pipeInput("run-x", "not json".getBytes(StandardCharsets.UTF_8), T0);
        events.pipeInput("run-x", "{\"type\":\"step\"}".getBytes(StandardCharsets.UTF_8), T0);
        events.pipeInput("run-x", new byte[0], T0);
        events.pipeInput(null, (byte[]) null, T0);
        pipe(SyntheticRuns.exploding(2).events());
        var letters = dlq.readKeyValuesToList();
        assertThat(letters).hasSize(4);
        DeadLetter first = EventCodec.readDeadLetter(letters.get(0).value).value();
        assertThat(first.reason()).startsWith("not JSON");
        assertThat(new String(first.payload(), StandardCharsets.UTF_8)).isEqualTo("not json");
        assertThat(first.sourceTopic()).isEqualTo(Topics.TRAINING_EVENTS);
        assertThat(first.sourceOffset()).isZero();
        assertThat(first.rejectedBy()).isEqualTo("monitor-service");
        assertThat(EventCodec.readDeadLetter(letters.get(1).value).value().reason()).contains("schemaVersion");
        assertThat(deadLettered).hasValue(4);
        assertThat(alerts.isEmpty()).isFalse();
    }

    @Test
    void replayingARunDoesNotDuplicateItsAlerts() {
        SyntheticRuns.Labelled run = SyntheticRuns.exploding(3);
        pipe(run.events());
        int first = alerts.readKeyValuesToList().size();
        pipe(run.events()); // the same events again: duplicates and out-of-order steps are ignored
        assertThat(first).isPositive();
        assertThat(alerts.isEmpty()).isTrue();
    }

    @Test
    void idleRunsAreEvictedByTheWallClock() {
        pipe(SyntheticRuns.healthy(3).events());
        RunStateStore store = (RunStateStore) driver.getStateStore(MonitorTopology.STORE);
        driver.advanceWallClockTime(Duration.ofMinutes(5));
        assertThat(store.get("synthetic-healthy-s3")).isNotNull();
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        assertThat(store.get("synthetic-healthy-s3")).isNull();
        assertThat(evicted).hasValue(1);
    }
}
