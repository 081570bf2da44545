package io.trainwatch.client;

import io.trainwatch.events.TunerCommand;

import java.util.Map;

/**
 * Applies one tuner command on the training thread and says what it did, for the {@code command-applied}
 * confirmation (e.g. {@code previousLearningRate}, {@code learningRate}); the reason and alert id of the command
 * are added by the caller.
 */
@FunctionalInterface
public interface CommandHandler {

    Map<String, Object> apply(TunerCommand command);
}
