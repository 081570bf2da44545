package io.trainwatch.monitor.detector;

import io.trainwatch.monitor.engine.RunState;

import java.util.Map;

/**
 * What a detector concludes from one event: its condition {@code holds} (with the evidence, the remedy and
 * the action to take), has {@code cleared}, or the event says nothing new ({@link #UNCHANGED}).
 */
public record Condition(Kind kind, String severity, String summary, Map<String, Double> evidence, String remedy,
                        String suggestedAction) {

    /** The three outcomes. */
    public enum Kind { HOLDS, CLEARED, UNCHANGED }

    public static final Condition UNCHANGED = new Condition(Kind.UNCHANGED, null, null, Map.of(), null, null);

    /**
     * The condition holds in an episode already open ({@code run.active(detector)}): the engine reads only that it
     * holds, so detectors return this rather than build a summary and evidence on every step of a long episode.
     * Likewise a detector whose episode is not open returns {@link #UNCHANGED} rather than a {@code cleared} that
     * the engine would drop (per step per run: JFR put evidence building at 7 % of the stream thread).
     */
    public static final Condition STILL_HOLDS = new Condition(Kind.HOLDS, null, null, Map.of(), null, null);

    /**
     * What a detector returns instead of building a condition the engine would drop: {@link #STILL_HOLDS} when it
     * holds in its open episode, {@link #UNCHANGED} when it does not hold and no episode is open; null when the
     * condition must be built (an episode opens, or may close).
     */
    public static Condition unread(RunState run, int detector, boolean holds) {
        if (holds) {
            return run.active(detector) ? STILL_HOLDS : null;
        }
        return run.active(detector) ? null : UNCHANGED;
    }

    public static Condition holds(String severity, String summary, Map<String, Double> evidence, String remedy,
                                  String action) {
        return new Condition(Kind.HOLDS, severity, summary, evidence, remedy, action);
    }

    public static Condition cleared(String summary, Map<String, Double> evidence) {
        return new Condition(Kind.CLEARED, null, summary, evidence, null, null);
    }

    public boolean isHolding() {
        return kind == Kind.HOLDS;
    }

    public boolean isCleared() {
        return kind == Kind.CLEARED;
    }
}
