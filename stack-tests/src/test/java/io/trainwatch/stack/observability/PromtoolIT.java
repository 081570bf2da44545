package io.trainwatch.stack.observability;

import io.trainwatch.stack.Stack;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** promtool accepts the Prometheus configuration and the alert rules. */
class PromtoolIT {

    private final Path prometheusDir = Stack.repoRoot().resolve("dashboards/prometheus");

    @Test
    void configIsValid() {
        Path promtool = Tools.require("promtool", "prometheus");
        Tools.Result r = Tools.run(prometheusDir, promtool.toString(), "check", "config", "prometheus.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void rulesAreValid() throws java.io.IOException {
        Path promtool = Tools.require("promtool", "prometheus");
        Tools.Result r = Tools.run(prometheusDir, promtool.toString(), "check", "rules", "alerts.yml");
        assertThat(r.exitCode()).as(r.output()).isZero();
        long alerts = java.util.regex.Pattern.compile("(?m)^\\s*- alert: ").matcher(
                java.nio.file.Files.readString(prometheusDir.resolve("alerts.yml"))).results().count();
        assertThat(alerts).isEqualTo(8);
        assertThat(r.output()).contains("SUCCESS: " + alerts + " rules found");
    }
}
