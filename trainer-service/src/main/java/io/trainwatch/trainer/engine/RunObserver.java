package io.trainwatch.trainer.engine;

import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;

/** Sees a run's steps and its end on the training thread (metrics); must be quick and never throw. */
public interface RunObserver {

    RunObserver NONE = new RunObserver() {
    };

    default void onStep(StepEvent step) {
    }

    default void onFinished(RunFinished finished) {
    }
}
