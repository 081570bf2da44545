package io.trainwatch.monitor.live;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * Settings of the live page's feed, under {@code trainwatch.live.*}: how far back it reads, and the bounds
 * that keep its memory fixed whatever the traffic (all "ours", sized for the demo and a small team's runs).
 */
@ConfigMapping(prefix = "trainwatch.live")
public interface LiveConfig {

    /** Run the feed (its own consumer and ticker); false leaves the page with no data. */
    @WithDefault("true")
    boolean enabled();

    /** The feed starts reading every topic at now minus this (Kafka record time, offsetsForTimes). */
    @WithDefault("PT6H")
    Duration lookback();

    /** Runs kept; the least recently updated run is dropped beyond it. */
    @WithDefault("200")
    int maxRuns();

    /** Points kept per series of a run (loss, accuracy, learning rate, each layer...); min/max decimation beyond. */
    @WithDefault("1000")
    int maxPoints();

    /** Layers whose gradient norms are kept per run (the monitor's gauges stop at 32 too). */
    @WithDefault("32")
    int maxLayers();

    /** Alerts (firing and resolved) kept per run, the oldest dropped first. */
    @WithDefault("100")
    int maxAlerts();

    /** Tuner actions (commands and their confirmations) kept per run, the oldest dropped first. */
    @WithDefault("50")
    int maxActions();

    /** Studies kept, the least recently updated dropped first. */
    @WithDefault("50")
    int maxStudies();

    /** Trials of a study shown on its leaderboard (the best ones). */
    @WithDefault("100")
    int maxTrials();

    /** How often the stream pushes what changed: 250 ms is at most 4 messages a second per browser. */
    @WithDefault("PT0.25S")
    Duration pushInterval();

    /** New points of one series buffered between two pushes; beyond it the push asks the page to reload that run. */
    @WithDefault("500")
    int maxPendingPoints();
}
