package io.trainwatch.tuner.bench;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Optuna arm's own checks ({@code bench/test_optuna_arm.py}: the tuner's trial seeds, the run body, following a
 * run, and a whole arm against a stand-in trainer) under pytest, with the interpreter the benchmark uses
 * ({@code bench.python}, default {@code /usr/bin/python3}). Skipped where that interpreter has no pytest; the
 * whole-arm check skips itself where it has no Optuna. No stack is needed.
 */
class OptunaArmPythonIT {

    @Test
    void theDriversChecksPass() throws Exception {
        OptunaArm arm = new OptunaArm();
        Path tests = arm.driver.resolveSibling("test_optuna_arm.py");
        assertThat(tests).isRegularFile();
        Process probe = new ProcessBuilder(arm.python, "-c", "import pytest").redirectErrorStream(true).start();
        probe.getInputStream().readAllBytes();
        Assumptions.assumeTrue(probe.waitFor() == 0, arm.python + " has no pytest");

        ProcessBuilder pb = new ProcessBuilder(arm.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests.toString())
                .redirectErrorStream(true);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("pytest finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
