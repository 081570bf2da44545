package io.trainwatch.monitor.detector;

import io.trainwatch.events.DetectorName;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.monitor.engine.RunState;

/**
 * One pathology rule: reads the run's shared features and its own fields of {@link RunState} (updated
 * by the engine before it is called), updates its own counters, and says whether its condition holds.
 * Implementations are plain classes, configured at construction, with no other state of their own.
 */
public interface Detector {

    /** Which of the contract's detectors this is. */
    DetectorName detector();

    /** The detector's name in alerts ({@link DetectorName#id()}). */
    default String name() {
        return detector().id();
    }

    /** The remedy shown with every alert of this detector. */
    String remedy();

    /** Evaluates a step that the engine accepted (not a duplicate, not out of order). */
    default Condition onStep(RunState run, StepEvent step) {
        return Condition.UNCHANGED;
    }

    /** Evaluates a validation that the engine accepted. */
    default Condition onValidation(RunState run, ValidationEvent validation) {
        return Condition.UNCHANGED;
    }
}
