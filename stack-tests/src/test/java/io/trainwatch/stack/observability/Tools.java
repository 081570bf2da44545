package io.trainwatch.stack.observability;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds the external tools the observability checks run (prometheus, promtool, docker-compose) and
 * runs them; a missing tool skips the test, except with {@code CI=true}, where it fails.
 */
final class Tools {

    /** What a finished command printed (stdout and stderr together) and its exit status. */
    record Result(int exitCode, String output) {
    }

    private Tools() {
    }

    /** The tool's path on PATH (or /usr/bin), or a skip (a failure with CI=true) naming the Debian package. */
    static Path require(String tool, String debianPackage) {
        Optional<Path> found = find(tool);
        if (found.isPresent()) {
            return found.get();
        }
        String message = tool + " not found on PATH: install it with `apt-get install -y --no-install-recommends "
                + debianPackage + "` (.ci/run does)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("CI=true and " + message);
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    static Optional<Path> find(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)));
        dirs.add("/usr/bin");
        for (String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Runs a command to its end (at most 60 s) in {@code dir}. */
    static Result run(Path dir, String... command) {
        try {
            Path out = Files.createTempFile("stack-tool", ".log");
            try {
                Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    Assertions.fail(String.join(" ", command) + " did not finish within 60 s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
