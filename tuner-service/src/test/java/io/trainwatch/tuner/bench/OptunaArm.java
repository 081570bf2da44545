package io.trainwatch.tuner.bench;

import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Optuna arms of the benchmark: {@code bench/optuna_arm.py} (Optuna's TPE or random sampler with its median
 * pruner, driving the trainer over REST) as a subprocess, on the same study file and seed as the tuner's arms; its
 * standard output is one study document, read by {@link BenchmarkReport#of}. Settings: {@code bench.python}
 * (default {@code /usr/bin/python3}, which needs {@code optuna}), {@code bench.driver} (the script; default
 * {@code bench/optuna_arm.py} of this module).
 */
final class OptunaArm {

    final String python = System.getProperty("bench.python", "/usr/bin/python3");
    final Path driver = driver();

    private static Path driver() {
        String given = System.getProperty("bench.driver");
        if (given != null) {
            return Path.of(given);
        }
        // Maven runs tests in the module's directory; an IDE may run them from the repository root.
        Path here = Path.of("bench", "optuna_arm.py");
        return Files.isRegularFile(here) ? here : Path.of("tuner-service", "bench", "optuna_arm.py");
    }

    /** Whether the interpreter has Optuna; null when it does, else why not. */
    String unavailable() {
        if (!Files.isRegularFile(driver)) {
            return "no Optuna driver at " + driver.toAbsolutePath();
        }
        try {
            Process p = new ProcessBuilder(python, "-c", "import optuna").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.waitFor() == 0 ? null : python + " cannot import optuna: " + out.strip();
        } catch (IOException e) {
            return "cannot run " + python + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The command line of one arm. */
    List<String> command(String trainer, Path study, long seed, String sampler, String id) {
        return List.of(python, driver.toString(), "--trainer", trainer, "--study", study.toString(), "--seed",
                Long.toString(seed), "--sampler", sampler, "--id", id);
    }

    /** Runs one arm to its end (killed after {@code timeout}) and reads the study it prints. */
    BenchmarkReport run(String trainer, Path study, long seed, String sampler, String id, Duration timeout)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command(trainer, study, seed, sampler, id))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // Its own reader thread: the common pool may have one thread, and several arms can run at once.
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()),
                task -> new Thread(task, "optuna-arm-" + id).start());
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the Optuna arm " + id + " did not finish within " + timeout);
        }
        String text = out.join();
        if (p.exitValue() != 0) {
            throw new IllegalStateException("the Optuna arm " + id + " exited with " + p.exitValue() + ": " + text);
        }
        return BenchmarkReport.of(EventCodec.MAPPER.readTree(text));
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
