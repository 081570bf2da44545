package io.trainwatch.client;

import io.trainwatch.events.TunerCommand;

/** Where the command consumer hands each command it read; returns whether a run here took it. */
@FunctionalInterface
public interface CommandRouter {

    boolean deliver(TunerCommand command);
}
