package io.trainwatch.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A {@link Terminal} for tests: captured output, the given environment, fast polling and a short patience. */
final class Console {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final Map<String, String> env = new HashMap<>();
    Duration patience = Duration.ofSeconds(1);

    Console with(String variable, String value) {
        env.put(variable, value);
        return this;
    }

    Terminal terminal() {
        return new Terminal(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false, Duration.ofMillis(10), patience);
    }

    /** Runs one command line through {@link Main#run}. */
    int run(String... args) {
        return Main.run(args, terminal());
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
