package io.trainwatch.monitor.stream;

import io.quarkus.logging.Log;
import io.trainwatch.events.Alert;
import io.trainwatch.events.DeadLetter;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.ReadResult;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.monitor.engine.RunMonitor;
import io.trainwatch.monitor.engine.RunObserver;
import io.trainwatch.monitor.engine.RunState;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Reads each record of {@code training.events}: invalid bytes go to the DLQ with the reason, valid events
 * are folded into their run's state (store keyed by runId) and the resulting alerts go to
 * {@code training.alerts}. Runs idle past the TTL (by record time against the stream's wall clock)
 * are deleted from the store. Nothing a record contains can stop the processor.
 */
final class RunProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private final RunMonitor monitor;
    private final RunObserver observer;
    private final Duration idleTtl;
    private final Duration evictionInterval;
    private ProcessorContext<byte[], byte[]> context;
    private RunStateStore store;
    /** A run's state before the current event, to put back if the engine fails on the event. */
    private final RunState before = new RunState("");

    RunProcessor(RunMonitor monitor, RunObserver observer, Duration idleTtl, Duration evictionInterval) {
        this.monitor = monitor;
        this.observer = observer;
        this.idleTtl = idleTtl;
        this.evictionInterval = evictionInterval;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.store = context.getStateStore(MonitorTopology.STORE);
        context.schedule(evictionInterval, PunctuationType.WALL_CLOCK_TIME, this::evictIdle);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        long started = System.nanoTime();
        ReadResult<TrainingEvent> read = EventCodec.readTrainingEvent(record.value());
        if (!read.isValid()) {
            deadLetter(record, read.error());
            return;
        }
        TrainingEvent event = read.value();
        String runId = event.runId();
        List<Alert> alerts;
        RunState state;
        try {
            state = store.get(runId);
            boolean known = state != null;
            if (!known) {
                state = monitor.newState(runId);
            } else {
                before.copyFrom(state);
            }
            try {
                alerts = monitor.process(state, event, record.timestamp());
            } catch (RuntimeException e) {
                // The run goes back to its state before this event (not to the last commit: the events since then
                // and their alerts, already forwarded, stay consistent with it).
                if (known) {
                    state.copyFrom(before);
                    store.put(state);
                } else {
                    store.forget(runId);
                }
                throw e;
            }
            store.put(state);
        } catch (RuntimeException e) {
            // A bug must not stop the monitor: the event goes to the DLQ, the run is as it was before it.
            Log.warnf(e, "Monitor failed on an event of run %s; sent to the DLQ", runId);
            deadLetter(record, "monitor error: " + e);
            return;
        }
        byte[] key = runId.getBytes(StandardCharsets.UTF_8);
        for (Alert alert : alerts) {
            context.forward(new Record<>(key, EventCodec.write(alert), record.timestamp()), MonitorTopology.ALERTS_SINK);
            observer.alerted(alert);
        }
        observer.processed(event, state, System.nanoTime() - started);
    }

    private void deadLetter(Record<byte[], byte[]> record, String reason) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        DeadLetter letter = DeadLetter.of(reason, meta == null ? null : meta.topic(),
                meta == null ? null : meta.partition(), meta == null ? null : meta.offset(), key, record.value(),
                "monitor-service", Instant.ofEpochMilli(context.currentSystemTimeMs()));
        context.forward(new Record<>(record.key(), EventCodec.write(letter), record.timestamp()), MonitorTopology.DLQ_SINK);
        observer.deadLettered(reason);
    }

    private void evictIdle(long now) {
        List<String> idle = store.runIds(s -> s.lastRecordMillis < now - idleTtl.toMillis());
        for (String runId : idle) {
            store.delete(runId);
            observer.evicted(runId);
        }
        if (!idle.isEmpty()) {
            Log.debugf("Evicted %d idle runs", idle.size());
        }
    }
}
