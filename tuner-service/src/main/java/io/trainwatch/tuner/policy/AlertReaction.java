package io.trainwatch.tuner.policy;

import io.trainwatch.events.Alert;
import io.trainwatch.events.DetectorName;
import io.trainwatch.tuner.study.StudyState;
import io.trainwatch.tuner.study.TrialState;

import java.util.Set;

/**
 * The tuner's answer to the alerts of some detectors, one implementation per reaction (as the monitor has
 * one class per detector). {@link AlertPolicy} dispatches a firing alert to the reaction registered for its
 * detector. A reaction updates the trial's learning-rate bookkeeping itself; the engine sends the commands,
 * applies the adjustments and records the decision.
 */
public interface AlertReaction {

    /** The detectors whose alerts this reaction answers. */
    Set<DetectorName> detectors();

    /** The reaction to a firing alert on an active trial (or steered run) of a running study. */
    Reaction react(Alert alert, TrialState trial, StudyState study);
}
