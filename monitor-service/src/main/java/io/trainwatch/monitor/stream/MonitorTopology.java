package io.trainwatch.monitor.stream;

import io.trainwatch.events.Topics;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunObserver;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;

import java.time.Duration;

/**
 * The monitor's Kafka Streams topology: {@code training.events} (raw bytes) -> {@link RunProcessor} with
 * the in-memory, changelogged {@value #STORE} store keyed by runId -> {@code training.alerts} (key runId)
 * and {@code training.events.dlq}.
 */
public final class MonitorTopology {

    public static final String STORE = "run-state";
    public static final String SOURCE = "events";
    public static final String PROCESSOR = "monitor";
    public static final String ALERTS_SINK = "alerts";
    public static final String DLQ_SINK = "dlq";

    private MonitorTopology() {
    }

    public static Topology build(RunMonitor monitor, RunObserver observer, Duration idleTtl, Duration evictionInterval) {
        return build(monitor, observer, idleTtl, evictionInterval, Topics.TRAINING_EVENTS, Topics.TRAINING_ALERTS,
                Topics.TRAINING_EVENTS_DLQ);
    }

    /** The same topology over other topics (tests that must not share the contract's topics). */
    public static Topology build(RunMonitor monitor, RunObserver observer, Duration idleTtl, Duration evictionInterval,
                                 String eventsTopic, String alertsTopic, String dlqTopic) {
        Topology topology = new Topology();
        topology.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), eventsTopic);
        topology.addProcessor(PROCESSOR, () -> new RunProcessor(monitor, observer, idleTtl, evictionInterval), SOURCE);
        // In memory (no RocksDB), logged so that a restarted or rebalanced instance restores it; a run's latest
        // state goes to the changelog once per commit rather than once per event (RunStateStore).
        topology.addStateStore(RunStateStore.builder(STORE), PROCESSOR);
        topology.addSink(ALERTS_SINK, alertsTopic, Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), PROCESSOR);
        topology.addSink(DLQ_SINK, dlqTopic, Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), PROCESSOR);
        return topology;
    }
}
