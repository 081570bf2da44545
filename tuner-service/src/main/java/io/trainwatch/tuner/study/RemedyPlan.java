package io.trainwatch.tuner.study;

import java.util.Map;

/** A point to try as a remedy trial: the stopped trial's point with the remedy of {@code policy} applied. */
public record RemedyPlan(String remedyOf, String policy, Map<String, Object> params) {

    public RemedyPlan {
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    }
}
