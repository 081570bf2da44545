package io.trainwatch.tuner.policy;

import java.util.List;
import java.util.Map;

/**
 * What a policy decides for one alert: an action on the trial ({@code set-learning-rate}, {@code stop} or
 * {@code ignore}), changes to the study's search space, and optionally a remedied point to try next.
 *
 * @param policy       the policy that decided (the detector's name)
 * @param action       {@code set-learning-rate}, {@code stop} or {@code ignore}
 * @param learningRate the new rate for {@code set-learning-rate}
 * @param detail       a sentence for people
 * @param adjustments  changes to the study's ranges or favoured choices
 * @param remedy       a point (search names) to try as a remedy trial, or null
 */
public record Reaction(String policy, String action, Double learningRate, String detail,
                       List<Adjustment> adjustments, Map<String, Object> remedy) {

    public Reaction {
        adjustments = adjustments == null ? List.of() : List.copyOf(adjustments);
    }

    public static Reaction ignore(String policy, String detail) {
        return new Reaction(policy, io.trainwatch.tuner.study.Decision.IGNORE, null, detail, List.of(), null);
    }

    /** A change of the study's search: lower a ceiling, raise a floor, or favour some choices. */
    public record Adjustment(String parameter, String kind, Double value, List<Object> favoured, String why) {
        public static final String LOWER_CEILING = "lower-ceiling";
        public static final String RAISE_FLOOR = "raise-floor";
        public static final String FAVOUR = "favour";
    }
}
