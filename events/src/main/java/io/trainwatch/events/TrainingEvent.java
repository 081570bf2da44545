package io.trainwatch.events;

import java.time.Instant;

/**
 * A message on {@link Topics#TRAINING_EVENTS}: what a trainer says about one run, keyed by {@code runId}.
 *
 * <p>The {@code type} field selects the record: {@code run-started}, {@code step}, {@code validation},
 * {@code command-applied}, {@code run-finished}. Read with {@link EventCodec#readTrainingEvent(byte[])},
 * which validates and never throws.
 */
public sealed interface TrainingEvent
        permits RunStarted, StepEvent, ValidationEvent, CommandApplied, RunFinished {

    String RUN_STARTED = "run-started";
    String STEP = "step";
    String VALIDATION = "validation";
    String COMMAND_APPLIED = "command-applied";
    String RUN_FINISHED = "run-finished";

    int schemaVersion();

    /** The JSON {@code type} of this event. */
    String type();

    String runId();

    Instant timestamp();

    /** The study this run is a trial of, or null. */
    String studyId();

    /** The trial this run executes, or null. */
    String trialId();

    /** The training step the event refers to, or -1 when it has none (run-started). */
    long stepOrMinusOne();
}
