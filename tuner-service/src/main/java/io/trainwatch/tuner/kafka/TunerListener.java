package io.trainwatch.tuner.kafka;

import io.trainwatch.tuner.engine.Effects;
import io.trainwatch.tuner.engine.StudyEngine;

/** Hooks of the tuner runtime for metrics; called on the runtime's lock, so they must be quick. */
public interface TunerListener {

    /** After effects were carried out (persisted and published). */
    default void published(Effects effects, StudyEngine engine) {
    }

    /** A record that could not be read. */
    default void rejected(String topic, String reason) {
    }

    TunerListener NONE = new TunerListener() {
    };
}
