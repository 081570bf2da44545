package io.trainwatch.stack.demo;

import io.trainwatch.stack.Cli;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./trainwatch demo}'s driver (the command-line client's {@code demo}, run as the launcher runs it:
 * {@code java -jar cli/target/trainwatch-cli.jar demo}) against the real three services, on three scenarios:
 * it prints the runs, the alerts and the tuner's actions as they happen, then a summary whose verdicts it enforces
 * with its exit status. The full demo (every scenario and a search) is {@code ./trainwatch demo}.
 */
class DemoDriverIT {

    private final Stack stack = Stack.get();

    @Test
    void runsScenariosThroughTheTunerAndPrintsTheirDiagnosesActionsAndVerdicts() throws Exception {
        Result r = demo("--only", "healthy,exploding-gradients,plateau", "--no-search", "--timeout", "240");
        System.out.println(r.output);
        assertThat(r.exit).as(r.output).isZero();
        assertThat(r.output)
                .contains("started as demo-healthy-")
                .containsPattern("ALERT  exploding-gradients +exploding-gradients at step \\d+")
                .containsPattern("ALERT  plateau +plateau at step \\d+")
                .containsPattern("TUNER  set-learning-rate [0-9.e-]+ for plateau")
                .containsPattern("TUNER  set-learning-rate confirmed by the trainer at step \\d+ on plateau")
                .containsPattern("healthy +no alert +no alert .* ok")
                .containsPattern("plateau +plateau +plateau @\\d+.*lr -> [0-9.e-]+ \\(applied @\\d+\\).* ok")
                .contains("demo: every scenario got its expected diagnosis");
    }

    @Test
    void anUnknownArgumentIsAClearErrorWithExitStatus2() throws Exception {
        Result r = demo("--bogus");
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.output).isEqualTo("demo: unknown argument '--bogus' (see: trainwatch demo --help)\n");
    }

    @Test
    void anUnreachableBrokerIsAClearErrorWithExitStatus2() throws Exception {
        Result r = demo("--bootstrap", "127.0.0.1:" + Stack.freePort(), "--only", "healthy");
        assertThat(r.exit).as(r.output).isEqualTo(2);
        assertThat(r.output).startsWith("demo: Kafka is not usable at 127.0.0.1:");
    }

    private record Result(int exit, String output) {
    }

    private Result demo(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(Cli.command(stack.repo(), "demo",
                "--trainer", stack.baseUrl(Service.TRAINER), "--tuner", stack.baseUrl(Service.TUNER),
                "--monitor", stack.baseUrl(Service.MONITOR), "--bootstrap", stack.bootstrapServers()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the demo driver did not end: " + new String(out, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
