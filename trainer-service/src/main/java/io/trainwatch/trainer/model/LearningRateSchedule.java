package io.trainwatch.trainer.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A learning-rate schedule of a run's {@code schedule} field: the rate at each optimisation step {@code t}
 * (counted from 0), given the initial rate {@code lr0} ({@code learningRate}).
 *
 * <ul>
 *   <li>{@code constant}: {@code lr0};</li>
 *   <li>{@code step}: {@code lr0 * factor^floor(t / every)};</li>
 *   <li>{@code exponential}: {@code lr0 * gamma^t};</li>
 *   <li>{@code range}: the geometric ramp of a learning-rate range test, {@code from * (to / from)^(t / (steps - 1))}
 *       for {@code t} in [0, steps - 1], then {@code to}; {@code lr0} is ignored.</li>
 * </ul>
 *
 * @param type   constant, step, exponential or range
 * @param every  step: steps between two decays (>= 1), else null
 * @param factor step: the decay factor in (0, 1], else null
 * @param gamma  exponential: the per-step factor in (0, 1], else null
 * @param from   range: the first rate (> 0), else null
 * @param to     range: the last rate (> from), else null
 * @param steps  range: the length of the ramp (>= 2), else null
 */
public record LearningRateSchedule(String type, Integer every, Double factor, Double gamma, Double from, Double to,
                                   Integer steps) {

    public static final String CONSTANT = "constant";
    public static final String STEP = "step";
    public static final String EXPONENTIAL = "exponential";
    public static final String RANGE = "range";

    public static LearningRateSchedule constant() {
        return new LearningRateSchedule(CONSTANT, null, null, null, null, null, null);
    }

    public static LearningRateSchedule step(int every, double factor) {
        return new LearningRateSchedule(STEP, every, factor, null, null, null, null);
    }

    public static LearningRateSchedule exponential(double gamma) {
        return new LearningRateSchedule(EXPONENTIAL, null, null, gamma, null, null, null);
    }

    public static LearningRateSchedule range(double from, double to, int steps) {
        return new LearningRateSchedule(RANGE, null, null, null, from, to, steps);
    }

    /** The rate at step {@code t} (negative steps count as 0). */
    public double rateAt(long t, double lr0) {
        long s = Math.max(0, t);
        return switch (type) {
            case STEP -> lr0 * Math.pow(factor, Math.floorDiv(s, (long) every));
            case EXPONENTIAL -> lr0 * Math.pow(gamma, s);
            case RANGE -> s >= steps - 1 ? to : s == 0 ? from : from * Math.pow(to / from, (double) s / (steps - 1));
            default -> lr0;
        };
    }

    /** As configured, for {@code run-started}. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        switch (type) {
            case STEP -> {
                m.put("every", every);
                m.put("factor", factor);
            }
            case EXPONENTIAL -> m.put("gamma", gamma);
            case RANGE -> {
                m.put("from", from);
                m.put("to", to);
                m.put("steps", steps);
            }
            default -> {
            }
        }
        return m;
    }
}
