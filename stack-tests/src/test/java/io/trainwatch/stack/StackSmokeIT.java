package io.trainwatch.stack;

import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The three services start from their jars over the test broker and answer health and metrics. */
class StackSmokeIT {

    @Test
    void everyServiceIsReadyAndExposesPrometheusMetrics() {
        Stack stack = Stack.get();
        assertThat(stack.bootstrapServers()).matches("[^:]+:\\d+");
        for (Service s : Service.values()) {
            assertThat(stack.get(s, "/q/health/ready").statusCode()).as(s.module()).isEqualTo(200);
            var metrics = stack.get(s, "/q/metrics");
            assertThat(metrics.statusCode()).as(s.module()).isEqualTo(200);
            assertThat(metrics.body()).as(s.module()).contains("jvm_memory_used_bytes");
        }
    }
}
