package io.trainwatch.trainer.engine;

import io.trainwatch.events.TrainingEvent;
import io.trainwatch.client.TelemetrySink;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every event in memory, in order. */
public final class CollectingSink implements TelemetrySink {

    public final List<TrainingEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void publish(TrainingEvent event) {
        events.add(event);
    }

    public <T extends TrainingEvent> List<T> of(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
