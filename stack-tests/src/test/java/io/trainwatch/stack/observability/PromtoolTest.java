package io.trainwatch.stack.observability;

import io.trainwatch.stack.Stack;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** promtool accepts the Prometheus configuration and the alert rules. */
class PromtoolTest {

    private final Path prometheusDir = Stack.repoRoot().resolve("dashboards/prometheus");

    @Test
    void configIsValid() {
        Path promtool = Tools.require("promtool", "prometheus");
        Tools.Result r = Tools.run(prometheusDir, promtool.toString(), "check", "config", "prometheus.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void rulesAreValid() {
        Path promtool = Tools.require("promtool", "prometheus");
        Tools.Result r = Tools.run(prometheusDir, promtool.toString(), "check", "rules", "alerts.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS: 5 rules found");
    }
}
