package io.trainwatch.cli;

import io.trainwatch.cli.demo.Demo;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Trainwatch command-line client: {@code java -jar cli/target/trainwatch-cli.jar COMMAND [ARGS]}, which
 * {@code ./trainwatch} runs for every command that is not about starting or stopping the stack. Each command talks
 * to the services over REST (the JDK's HTTP client, JSON through the contract's codec) or to Kafka (the settings the
 * services read, TLS/SASL included). A command that fails prints one line, {@code COMMAND: what went wrong}, on
 * standard error and exits non-zero (2 for a bad argument or an unreachable service, 1 when the work failed).
 */
public final class Main {

    static final String USAGE = """
            usage: trainwatch COMMAND [ARGS]   (java -jar cli/target/trainwatch-cli.jar COMMAND [ARGS])
            Commands (each has --help):
              train     start a training run on the trainer and follow its progress
              alerts    follow the monitor's alerts and the tuner's suggestions
              study     start, follow, stop or list studies on the tuner
              replay    publish recorded contract events to training.events
              demo      run every trainer scenario and a small search on a running stack, then judge them
              help      this text""";

    private Main() {
    }

    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        for (Command c : List.of(new Train(), new Alerts(), new Study(), new Replay(), new Demo())) {
            m.put(c.name(), c);
        }
        return m;
    }

    public static void main(String[] args) {
        // Kafka's clients log through slf4j-simple: errors only unless asked (-Dorg.slf4j.simpleLogger.defaultLogLevel).
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
        int status = run(args, Terminal.system());
        System.out.flush();
        System.exit(status);
    }

    /** Runs one command line; returns the exit status. */
    public static int run(String[] args, Terminal t) {
        if (args.length == 0 || Args.isHelp(args[0]) || args[0].equals("help")) {
            t.out().println(USAGE);
            return args.length == 0 ? CliException.USAGE : 0;
        }
        Command command = commands().get(args[0]);
        if (command == null) {
            t.err().println("trainwatch: unknown command '" + args[0] + "' (commands: "
                    + String.join(", ", commands().keySet()) + "; see: trainwatch help)");
            return CliException.USAGE;
        }
        try {
            return command.run(Arrays.asList(args).subList(1, args.length), t);
        } catch (CliException e) {
            t.out().flush();
            t.err().println(command.name() + ": " + e.getMessage());
            return e.status();
        } catch (RuntimeException e) {
            t.out().flush();
            t.err().println(command.name() + ": unexpected error: " + e);
            return CliException.FAILED;
        }
    }
}
