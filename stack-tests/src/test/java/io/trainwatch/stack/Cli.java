package io.trainwatch.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of the command-line client as {@code ./trainwatch} runs it: {@code java -jar
 * cli/target/trainwatch-cli.jar COMMAND ARGS}, in a JVM of its own (the jar the cli module packages before these
 * tests run).
 */
public final class Cli {

    private Cli() {
    }

    /** {@code java -jar .../trainwatch-cli.jar} followed by {@code args}. */
    public static List<String> command(Path repo, String... args) {
        Path jar = repo.resolve("cli/target/trainwatch-cli.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package the cli module first (mvn -pl cli -am package)");
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        return command;
    }
}
