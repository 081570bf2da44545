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
 *
 * <p>A valid event whose malformed optional fields the reader dropped (a metric of the wrong type, a layer
 * norm that is not a number) is used without them, counted per field, and reported on the DLQ as a warning
 * letter ({@code disposition: accepted-with-warnings}) so that its producer can find out: at most one letter
 * per run and field every {@link #WARNING_LETTER_INTERVAL_MS} ms, so a producer that is wrong on every step
 * does not double the DLQ's traffic (the counter still counts every one).
 */
final class RunProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private final RunMonitor monitor;
    private final RunObserver observer;
    private final Duration idleTtl;
    private final Duration evictionInterval;
    private ProcessorContext<byte[], byte[]> context;
    private RunStateStore store;
    /** The least time between two warning letters of one run and field. */
    static final long WARNING_LETTER_INTERVAL_MS = 60_000;
    /** How many (run, field) pairs the warning-letter limiter remembers. */
    static final int WARNING_LETTER_MEMORY = 10_000;
    private static final java.util.regex.Pattern FIELD = java.util.regex.Pattern.compile("^field '([A-Za-z0-9_]{1,64})");
    /** When each (run, field) last got a warning letter. */
    private final java.util.Map<String, Long> lastWarningLetter = new java.util.LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Long> eldest) {
            return size() > WARNING_LETTER_MEMORY;
        }
    };
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
        if (!read.warnings().isEmpty()) {
            warnMalformed(record, runId, read.warnings());
        }
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

    /** Counts the dropped fields of a valid event and, at most once a minute per run and field, sends a warning letter. */
    private void warnMalformed(Record<byte[], byte[]> record, String runId, List<String> warnings) {
        List<String> fields = new java.util.ArrayList<>(warnings.size());
        List<String> dropped = new java.util.ArrayList<>(warnings.size());
        boolean due = false;
        long now = context.currentSystemTimeMs();
        for (String w : warnings) {
            if (!w.endsWith("; dropped")) {
                continue; // e.g. a timestamp without an offset, taken as UTC: the value is used, not lost
            }
            java.util.regex.Matcher m = FIELD.matcher(w);
            String field = m.find() ? m.group(1) : "other";
            fields.add(field);
            dropped.add(w);
            Long last = lastWarningLetter.get(runId + '\u0000' + field);
            if (last == null || now - last >= WARNING_LETTER_INTERVAL_MS) {
                lastWarningLetter.put(runId + '\u0000' + field, now);
                due = true;
            }
        }
        if (fields.isEmpty()) {
            return;
        }
        observer.malformedFields(fields);
        if (due) {
            RecordMetadata meta = context.recordMetadata().orElse(null);
            String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            DeadLetter letter = DeadLetter.warning("accepted without its malformed fields: " + String.join("; ", dropped),
                    meta == null ? null : meta.topic(), meta == null ? null : meta.partition(),
                    meta == null ? null : meta.offset(), key, record.value(), "monitor-service", Instant.ofEpochMilli(now));
            context.forward(new Record<>(record.key(), EventCodec.write(letter), record.timestamp()),
                    MonitorTopology.DLQ_SINK);
        }
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
