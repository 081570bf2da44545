package io.trainwatch.monitor.engine;

import io.trainwatch.events.Alert;
import io.trainwatch.events.TrainingEvent;

import java.util.List;

/** What the stream processor reports as it goes: metrics and the REST view listen; all calls are cheap. */
public interface RunObserver {

    RunObserver NONE = new RunObserver() {
    };

    /** A valid event was folded into its run's state. */
    default void processed(TrainingEvent event, RunState state, long nanos) {
    }

    /** A record went to the dead-letter topic. */
    default void deadLettered(String reason) {
    }

    /**
     * A valid event was used less some malformed optional fields, which were dropped; {@code fields} are their
     * top-level names (e.g. {@code layerGradientNorms}), one entry per warning.
     */
    default void malformedFields(List<String> fields) {
    }

    /** An alert was emitted. */
    default void alerted(Alert alert) {
    }

    /** A run was forgotten after its idle TTL. */
    default void evicted(String runId) {
    }
}
