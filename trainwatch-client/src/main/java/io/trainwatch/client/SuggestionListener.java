package io.trainwatch.client;

import io.trainwatch.events.TunerCommand;

import java.util.logging.Logger;

/**
 * Receives the tuner's suggestions ({@code mode = suggest}) for a run: what the tuner would do, for the run's
 * owner to read. A suggestion is never applied and never confirmed. Called on the command consumer's thread.
 */
@FunctionalInterface
public interface SuggestionListener {

    /** Logs each suggestion at INFO (the default). */
    SuggestionListener LOG = command -> Logger.getLogger(SuggestionListener.class.getName()).info(() ->
            "tuner suggests for run " + command.runId() + ": " + command.type()
                    + (command.learningRate() == null ? "" : " " + command.learningRate())
                    + " (" + command.reason() + "); not applied");

    void onSuggestion(TunerCommand suggestion);
}
