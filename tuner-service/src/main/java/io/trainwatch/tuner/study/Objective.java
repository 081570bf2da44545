package io.trainwatch.tuner.study;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** What a study optimises: maximise validation accuracy or minimise validation loss. */
public enum Objective {
    MAXIMIZE_VALIDATION_ACCURACY("maximize-validation-accuracy"),
    MINIMIZE_VALIDATION_LOSS("minimize-validation-loss");

    private final String id;

    Objective(String id) {
        this.id = id;
    }

    @JsonValue
    public String id() {
        return id;
    }

    /** Reads the id, also in British spelling ({@code maximise-...}); null when unknown. */
    @JsonCreator
    public static Objective parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim().toLowerCase(Locale.ROOT).replace("maximise", "maximize").replace("minimise", "minimize")
                .replace('_', '-').replace(' ', '-');
        for (Objective o : values()) {
            if (o.id.equals(t)) {
                return o;
            }
        }
        return null;
    }

    /** The metric of a validation event this objective reads, or null when absent or not finite. */
    public Double metric(Double validationAccuracy, Double validationLoss) {
        Double v = this == MAXIMIZE_VALIDATION_ACCURACY ? validationAccuracy : validationLoss;
        return v == null || !Double.isFinite(v) ? null : v;
    }

    /** Whether {@code candidate} beats {@code incumbent} by more than {@code minDelta} (null never wins, always loses). */
    public boolean better(Double candidate, Double incumbent, double minDelta) {
        if (candidate == null || !Double.isFinite(candidate)) {
            return false;
        }
        if (incumbent == null || !Double.isFinite(incumbent)) {
            return true;
        }
        return this == MAXIMIZE_VALIDATION_ACCURACY ? candidate > incumbent + minDelta : candidate < incumbent - minDelta;
    }

    /** Sorts best first; nulls last. */
    public int compareBestFirst(Double a, Double b) {
        if (a == null && b == null) {
            return 0;
        }
        if (a == null) {
            return 1;
        }
        if (b == null) {
            return -1;
        }
        return this == MAXIMIZE_VALIDATION_ACCURACY ? Double.compare(b, a) : Double.compare(a, b);
    }
}
