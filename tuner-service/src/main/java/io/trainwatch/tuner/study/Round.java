package io.trainwatch.tuner.study;

import java.util.Map;

/**
 * One round of a study's search: its 0-based index, how many trials it runs, how long each trains, the
 * ranges it started from ({@code initialSpace}) and how they were chosen.
 */
public record Round(int index, int trials, long stepsPerTrial, Map<String, ParamSpec> initialSpace, String how) {

    public Round {
        initialSpace = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(initialSpace));
    }
}
