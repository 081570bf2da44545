package io.trainwatch.cli;

/**
 * Ends a command with one clear line on standard error ({@code COMMAND: message}) and an exit status: {@link #USAGE}
 * for a bad argument or an unreachable service, {@link #FAILED} when the work itself failed (a refused request, a
 * failed or vanished run).
 */
public final class CliException extends Exception {

    /** The work failed: a refused request, a run that failed or disappeared, a demo verdict. */
    public static final int FAILED = 1;
    /** A bad argument, an unreadable file, an unreachable service. */
    public static final int USAGE = 2;

    private final int status;

    public CliException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    /** A bad argument: the message and a pointer to the command's {@code --help}. */
    public static CliException usage(String command, String message) {
        return new CliException(USAGE, message + " (see: trainwatch " + command + " --help)");
    }

    public int status() {
        return status;
    }
}
