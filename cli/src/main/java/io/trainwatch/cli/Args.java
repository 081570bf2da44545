package io.trainwatch.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A command's arguments, read left to right: options with a value ({@code --steps 300} or {@code --steps=300}),
 * flags, and positional arguments. Every mistake is a {@link CliException} naming the argument.
 */
public final class Args {

    private final String command;
    private final List<String> rest;
    private int next;

    public Args(String command, List<String> args) {
        this.command = command;
        this.rest = new ArrayList<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 2) {
                rest.add(a.substring(0, eq));
                rest.add(a.substring(eq + 1));
            } else {
                rest.add(a);
            }
        }
    }

    public boolean hasNext() {
        return next < rest.size();
    }

    /** The next argument (an option name, a flag or a positional value). */
    public String next() {
        return rest.get(next++);
    }

    /** The value of the option just read. */
    public String value(String option) throws CliException {
        if (next >= rest.size()) {
            throw CliException.usage(command, option + " needs a value");
        }
        return rest.get(next++);
    }

    /** A whole number in [min, max] as the option's value. */
    public long longValue(String option, long min, long max) throws CliException {
        String v = value(option);
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw CliException.usage(command, option + " needs a whole number from " + min + " to " + max + ", was '" + v + "'");
    }

    public CliException unknown(String arg) {
        return CliException.usage(command, "unknown argument '" + arg + "'");
    }

    public CliException bad(String message) {
        return CliException.usage(command, message);
    }

    public static boolean isHelp(String arg) {
        return arg.equals("-h") || arg.equals("--help");
    }
}
