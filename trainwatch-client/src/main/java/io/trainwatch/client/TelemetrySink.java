package io.trainwatch.client;

import io.trainwatch.events.TrainingEvent;

/** Where a training run sends its events; {@link #publish} must never block the training thread. */
@FunctionalInterface
public interface TelemetrySink {

    /** A sink that discards everything (the benchmark's baseline, and runs with telemetry off). */
    TelemetrySink NONE = event -> {
    };

    void publish(TrainingEvent event);
}
