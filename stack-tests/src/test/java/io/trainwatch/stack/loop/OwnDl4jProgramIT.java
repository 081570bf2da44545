package io.trainwatch.stack.loop;

import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.LayerInfo;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.RunStarted;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.events.ValidationEvent;
import io.trainwatch.stack.RecordTap;
import io.trainwatch.stack.Stack;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A user's own Deeplearning4j program ({@code examples/dl4j-cnn}: a CNN, the trainwatch-dl4j listener), run as a
 * JVM of its own against the stack: a healthy run streams every step with the convolution layers' norms and its
 * validations; a run whose learning rate makes it diverge gets its diagnosis from the monitor and, as it declared
 * {@code control: auto}, a {@code stop} from the tuner, which it applies, confirms and ends on.
 */
class OwnDl4jProgramIT {

    private final Stack stack = Stack.get();
    private final String prefix = "own-cnn-" + Long.toString(System.currentTimeMillis(), 36) + "-";

    @Test
    void aCnnOfItsOwnStreamsEveryStepGetsItsDiagnosisAndIsStoppedByTheTuner() throws Exception {
        String healthy = prefix + "healthy";
        String diverging = prefix + "diverging";
        try (RecordTap tap = RecordTap.runsStartingWith(stack.bootstrapServers(), prefix)) {
            Process h = start(healthy, "--steps", "40", "--validate-every", "20", "--control", "auto");
            Process d = start(diverging, "--steps", "100000", "--validate-every", "50", "--pathology", "diverge",
                    "--control", "auto");
            try {
                assertThat(h.waitFor(240, TimeUnit.SECONDS)).as("the healthy program ended").isTrue();
                assertThat(h.exitValue()).as(log(healthy)).isZero();
                assertThat(d.waitFor(240, TimeUnit.SECONDS)).as("the tuner stopped the diverging program").isTrue();
                assertThat(d.exitValue()).as(log(diverging)).isZero();
            } finally {
                h.destroyForcibly();
                d.destroyForcibly();
            }

            // Healthy: run-started with its layers and control, every step 0..39 with per-layer norms, validations.
            await().atMost(Duration.ofSeconds(30)).until(() -> tap.events(healthy).stream()
                    .anyMatch(e -> e instanceof RunFinished));
            List<TrainingEvent> events = tap.events(healthy);
            RunStarted started = (RunStarted) events.get(0);
            assertThat(started.controlOrOff().mode()).isEqualTo(RunControl.AUTO);
            assertThat(started.config().numClasses()).isEqualTo(4);
            assertThat(started.config().layers()).extracting(LayerInfo::type).anySatisfy(t ->
                    assertThat(t.toLowerCase()).contains("convolution"));
            List<StepEvent> steps = events.stream().filter(e -> e instanceof StepEvent).map(e -> (StepEvent) e).toList();
            assertThat(steps).extracting(StepEvent::step).containsExactlyElementsOf(
                    java.util.stream.LongStream.range(0, 40).boxed().toList());
            StepEvent last = steps.get(steps.size() - 1);
            // Every layer with parameters (two convolutions, the dense and the output layer; pooling has none),
            // named as in run-started.
            assertThat(last.layerGradientNorms()).hasSize(4).allSatisfy((layer, norm) -> assertThat(norm).isFinite());
            assertThat(started.config().layers()).extracting(LayerInfo::name)
                    .containsAll(last.layerGradientNorms().keySet());
            assertThat(last.accuracy()).isNotNull();
            assertThat(events).filteredOn(e -> e instanceof ValidationEvent).hasSize(2);
            assertThat(((RunFinished) events.get(events.size() - 1)).status()).isEqualTo(RunFinished.COMPLETED);
            assertThat(tap.commands(healthy)).isEmpty();

            // Diverging: the monitor's diagnosis, the tuner's stop (a command, not a suggestion), confirmed, run ended.
            await().atMost(Duration.ofSeconds(30)).until(() -> tap.events(diverging).stream()
                    .anyMatch(e -> e instanceof RunFinished));
            List<Alert> alerts = tap.alerts(diverging);
            assertThat(alerts).extracting(Alert::detector).containsAnyOf("exploding-gradients", "divergence");
            List<TunerCommand> commands = tap.commands(diverging);
            assertThat(commands).filteredOn(c -> c.type().equals(TunerCommand.STOP)).isNotEmpty()
                    .allSatisfy(c -> assertThat(c.isSuggestion()).isFalse());
            TunerCommand stop = commands.stream().filter(c -> c.type().equals(TunerCommand.STOP)).findFirst().orElseThrow();
            List<TrainingEvent> ran = tap.events(diverging);
            assertThat(ran).filteredOn(e -> e instanceof CommandApplied ca && ca.commandId().equals(stop.commandId()))
                    .hasSize(1);
            RunFinished end = (RunFinished) ran.get(ran.size() - 1);
            assertThat(end.status()).isEqualTo(RunFinished.STOPPED);
            assertThat(end.step()).isLessThan(100_000);
            assertThat(Files.readString(logFile(diverging))).contains("stopped by the tuner");
        }
    }

    private Process start(String runId, String... args) throws IOException {
        Path module = stack.repo().resolve("examples/dl4j-cnn");
        Path classpath = module.resolve("target/classpath.txt");
        assertThat(classpath).as("examples/dl4j-cnn is packaged before stack-tests (mvn verify)").exists();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dorg.bytedeco.javacpp.cachedir=" + stack.repo().resolve(".trainwatch/javacpp"), "-cp", module.resolve("target/classes") + java.io.File.pathSeparator + Files.readString(classpath).trim(),
                "io.trainwatch.examples.cnn.TrainCnn", "--bootstrap", stack.bootstrapServers(), "--run-id", runId));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile(runId).toFile()).start();
    }

    private Path logFile(String runId) {
        return stack.home().resolve(runId + ".log");
    }

    private String log(String runId) {
        try {
            return Files.readString(logFile(runId));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
