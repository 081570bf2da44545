package io.trainwatch.trainer.engine;

import io.trainwatch.events.ValidationEvent;

import java.util.ArrayDeque;
import java.util.List;

/**
 * A run's last {@code capacity} validations, oldest first: the training thread adds, the REST API reads a copy.
 */
public final class ValidationHistory {

    private final int capacity;
    private final ArrayDeque<ValidationPoint> points = new ArrayDeque<>();

    public ValidationHistory(int capacity) {
        this.capacity = Math.max(1, capacity);
    }

    public synchronized void add(ValidationEvent v) {
        points.addLast(ValidationPoint.of(v));
        while (points.size() > capacity) {
            points.removeFirst();
        }
    }

    /** The validations kept, in step order (a copy). */
    public synchronized List<ValidationPoint> list() {
        return List.copyOf(points);
    }
}
