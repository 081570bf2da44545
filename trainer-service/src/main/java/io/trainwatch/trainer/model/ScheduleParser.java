package io.trainwatch.trainer.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static io.trainwatch.trainer.model.ConfigFields.fraction;
import static io.trainwatch.trainer.model.ConfigFields.oneOf;
import static io.trainwatch.trainer.model.ConfigFields.positive;
import static io.trainwatch.trainer.model.ConfigFields.requiredInteger;

/**
 * Reads a run configuration's learning-rate schedules: {@code lrSchedule} (step to rate) and {@code schedule}
 * (a {@link LearningRateSchedule}: constant, step, exponential or a range test's ramp).
 */
final class ScheduleParser {

    static final Map<String, Set<String>> SCHEDULE_FIELDS = Map.of(
            LearningRateSchedule.CONSTANT, Set.of("type"),
            LearningRateSchedule.STEP, Set.of("type", "every", "factor"),
            LearningRateSchedule.EXPONENTIAL, Set.of("type", "gamma"),
            LearningRateSchedule.RANGE, Set.of("type", "from", "to", "steps"));
    /** The longest step-decay period and range ramp accepted (the longest run the API accepts). */
    static final int MAX_SCHEDULE_STEPS = 100_000_000;

    private ScheduleParser() {
    }

    /** The {@code lrSchedule} object as step to rate, from {@code initial} at step 0; null when absent. */
    static TreeMap<Integer, Double> lrSchedule(Object value, double initial) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> map) || map.isEmpty()) {
            throw new InvalidConfigException("lrSchedule", "must be a non-empty object of step -> learning rate");
        }
        TreeMap<Integer, Double> schedule = new TreeMap<>();
        schedule.put(0, initial);
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String field = "lrSchedule." + e.getKey();
            int step;
            try {
                step = Integer.parseInt(String.valueOf(e.getKey()).trim());
            } catch (NumberFormatException ex) {
                throw new InvalidConfigException(field, "the key must be a step number");
            }
            if (step < 0) {
                throw new InvalidConfigException(field, "the step must be >= 0");
            }
            if (!(e.getValue() instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0) {
                throw new InvalidConfigException(field, "must be a finite learning rate > 0, was " + e.getValue());
            }
            schedule.put(step, n.doubleValue());
        }
        return schedule;
    }

    /** The {@code schedule} object, or null when absent. */
    static LearningRateSchedule rateSchedule(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> raw)) {
            throw new InvalidConfigException("schedule", "must be an object with a type, one of "
                    + new TreeSet<>(SCHEDULE_FIELDS.keySet()));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        raw.forEach((k, v) -> m.put("schedule." + k, v));
        String type = oneOf(m, "schedule.type", null, SCHEDULE_FIELDS.keySet());
        Set<String> allowed = SCHEDULE_FIELDS.get(type);
        for (Object key : raw.keySet()) {
            if (!allowed.contains(String.valueOf(key))) {
                throw new InvalidConfigException("schedule." + key, "does not apply to a " + type
                        + " schedule (its fields: " + new TreeSet<>(allowed) + ")");
            }
        }
        return switch (type) {
            case LearningRateSchedule.STEP -> LearningRateSchedule.step(
                    requiredInteger(m, "schedule.every", 1, MAX_SCHEDULE_STEPS),
                    fraction(m, "schedule.factor"));
            case LearningRateSchedule.EXPONENTIAL -> LearningRateSchedule.exponential(fraction(m, "schedule.gamma"));
            case LearningRateSchedule.RANGE -> {
                double from = positive(m, "schedule.from");
                double to = positive(m, "schedule.to");
                if (!(from < to)) {
                    throw new InvalidConfigException("schedule.to", "must be greater than schedule.from (" + from
                            + "), was " + to);
                }
                yield LearningRateSchedule.range(from, to, requiredInteger(m, "schedule.steps", 2, MAX_SCHEDULE_STEPS));
            }
            default -> LearningRateSchedule.constant();
        };
    }
}
