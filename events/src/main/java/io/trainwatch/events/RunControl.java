package io.trainwatch.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Set;

/**
 * How a run wants to be steered, as it declares in {@code run-started}: {@code auto} (a tuner may send it
 * {@code set-learning-rate} and {@code stop}, which it applies and confirms), {@code suggest} (a tuner
 * publishes what it would do as {@linkplain TunerCommand#isSuggestion() suggestions}, which the run never
 * applies) or {@code off} (no command). A run that declares nothing is {@code off}: a producer that does not
 * know this field is never steered.
 *
 * @param mode            {@code auto}, {@code suggest} or {@code off}
 * @param maxDecays       the most learning-rate decays a tuner may send this run, or null for the tuner's own limit
 * @param minLearningRate the lowest rate a tuner may set, or null for the tuner's own floor
 * @param allowStop       whether a tuner may stop this run (null = yes)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunControl(String mode, Integer maxDecays, Double minLearningRate, Boolean allowStop) {

    public static final String AUTO = "auto";
    public static final String SUGGEST = "suggest";
    public static final String OFF = "off";
    public static final Set<String> MODES = Set.of(AUTO, SUGGEST, OFF);

    /** What a run that declares nothing gets. */
    public static final RunControl NONE = new RunControl(OFF, null, null, null);

    public RunControl {
        Contract.requireOneOf("control.mode", mode, MODES);
        if (maxDecays != null && maxDecays < 0) {
            throw new IllegalArgumentException("control.maxDecays must be >= 0, was " + maxDecays);
        }
        if (minLearningRate != null && !(Double.isFinite(minLearningRate) && minLearningRate > 0)) {
            throw new IllegalArgumentException("control.minLearningRate must be a finite number > 0, was "
                    + minLearningRate);
        }
    }

    /** A control of the given mode with no per-run limits. */
    public static RunControl of(String mode) {
        return new RunControl(mode, null, null, null);
    }

    /** Whether a tuner may act on this run at all (apply or suggest). */
    @JsonIgnore
    public boolean steerable() {
        return !OFF.equals(mode);
    }

    /** Whether a tuner's commands are applied (not only suggested). */
    @JsonIgnore
    public boolean applies() {
        return AUTO.equals(mode);
    }

    /** Whether a tuner may stop this run. */
    @JsonIgnore
    public boolean stopAllowed() {
        return allowStop == null || allowStop;
    }
}
