package io.trainwatch.cli;

import java.util.List;

/** One subcommand of {@link Main}. */
public interface Command {

    /** Its name on the command line. */
    String name();

    /** The text of {@code --help}. */
    String usage();

    /**
     * Runs the command.
     *
     * @return the exit status
     * @throws CliException to end with one line on standard error and the exception's status
     */
    int run(List<String> args, Terminal terminal) throws CliException;
}
