package io.trainwatch.tuner.engine;

import java.time.Duration;

/**
 * Bounds of the steering of runs outside studies.
 *
 * @param maxRuns           steered runs kept in memory and in the studies topic (ours: 1,000); when full, the
 *                          oldest finished run is evicted first, else the run silent the longest
 * @param finishedRetention a finished run stays visible (REST, restarts) this long, then is evicted (ours: 1 h)
 * @param maxEarlyAlerts    alerts kept for runs whose {@code run-started} has not been read yet (the tuner reads
 *                          two topics, whose relative order is not guaranteed), replayed once it is (ours: 256)
 */
public record SteerSettings(int maxRuns, Duration finishedRetention, int maxEarlyAlerts) {

    public SteerSettings {
        if (maxRuns < 1) {
            throw new IllegalArgumentException("maxRuns must be >= 1, was " + maxRuns);
        }
        if (maxEarlyAlerts < 0) {
            throw new IllegalArgumentException("maxEarlyAlerts must be >= 0, was " + maxEarlyAlerts);
        }
    }

    public static SteerSettings defaults() {
        return new SteerSettings(1000, Duration.ofHours(1), 256);
    }
}
