package io.trainwatch.stack.reliability;

import io.trainwatch.stack.Stack;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The stack's broker as {@code ./trainwatch up} runs it: {@code io.trainwatch.kafka.LocalKafka} in a JVM of its own,
 * from the jar and {@code lib/} that the local-kafka module packages, on fixed ports and a data directory of its own,
 * so that it can be stopped (SIGTERM, its clean shutdown) and started again with the same data and ports while the
 * services keep running.
 */
final class LocalBroker implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final Path repo;
    private final Path dataDir;
    private final Path log;
    private final int port;
    private final int controllerPort;
    private Process process;

    LocalBroker(Path repo, Path home) {
        this.repo = repo;
        this.dataDir = home.resolve("kafka");
        this.log = home.resolve("logs").resolve("local-kafka.log");
        this.port = Stack.freePort();
        int other = Stack.freePort();
        while (other == port) {
            other = Stack.freePort();
        }
        this.controllerPort = other;
    }

    /** The jar the broker runs from; missing: the command that builds it. */
    static Path jar(Path repo) {
        Path target = repo.resolve("local-kafka/target");
        try (var files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().matches("local-kafka-.*\\.jar"))
                    .filter(f -> !f.getFileName().toString().endsWith("-sources.jar"))
                    .findFirst().orElseThrow();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(target + "/local-kafka-*.jar is missing: build it with "
                    + "`mvn -B -o -q -pl local-kafka -am package -DskipTests` (or run the whole reactor: `mvn -B verify`)");
        }
    }

    String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker (formats the data directory on the first start) and waits for its ready line. */
    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        Path jar = jar(repo);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", jar + File.pathSeparator + repo.resolve("local-kafka/target/lib") + File.separator + "*",
                "io.trainwatch.kafka.LocalKafka", "--data-dir", dataDir.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "--controller-port", Integer.toString(controllerPort));
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                Files.createDirectories(log.getParent());
                int before = readyLines();
                process = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
                if (awaitReady(before, deadline)) {
                    return;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // It exited before it was ready: a port still held by the previous broker's sockets; try again.
            if (attempt >= 5 || System.nanoTime() > deadline) {
                throw new IllegalStateException("the broker did not start; see " + log);
            }
            sleep(1000);
        }
    }

    private int readyLines() throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            return (int) lines.filter(l -> l.startsWith("Kafka ready on ")).count();
        }
    }

    private boolean awaitReady(int before, long deadline) throws IOException {
        while (System.nanoTime() < deadline) {
            if (readyLines() > before) {
                return true;
            }
            if (!process.isAlive()) {
                return false;
            }
            sleep(100);
        }
        throw new IllegalStateException("the broker was not ready within " + READY_TIMEOUT + "; see " + log);
    }

    /** Stops the broker the way an operator does (SIGTERM: a clean shutdown) and waits until it has exited. */
    synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    @Override
    public void close() {
        stop();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis); // polling an external process: no clock to inject
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
