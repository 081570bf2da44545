package io.trainwatch.stack.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.trainwatch.stack.Stack;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** docker-compose.yml is valid for docker-compose (no engine needed) and names every part of the stack. */
class ComposeConfigIT {

    private static final List<String> SERVICES =
            List.of("kafka", "trainer-service", "monitor-service", "tuner-service", "prometheus", "grafana");

    private final Path repo = Stack.repoRoot();

    @Test
    void dockerComposeConfigValidatesTheFile() {
        Path tool = Tools.require("docker-compose", "docker-compose");
        Tools.Result r = Tools.run(repo, tool.toString(), "-f", "docker-compose.yml", "config", "-q");
        assertThat(r.exitCode()).as(r.output()).isZero();
        Tools.Result cuda = Tools.run(repo, tool.toString(), "-f", "docker-compose.yml", "--profile", "cuda", "config", "--services");
        assertThat(cuda.exitCode()).as(cuda.output()).isZero();
        assertThat(cuda.output().lines().toList()).containsAll(SERVICES).contains("trainer-cuda");
    }

    @Test
    void resolvedFileHasHealthchecksDependenciesProvisioningAndLimits() throws Exception {
        Path tool = Tools.require("docker-compose", "docker-compose");
        Tools.Result r = Tools.run(repo, tool.toString(), "-f", "docker-compose.yml", "--profile", "cuda", "config");
        assertThat(r.exitCode()).as(r.output()).isZero();
        JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(r.output()).path("services");
        List<String> missing = new ArrayList<>();
        services.fields().forEachRemaining(e -> {
            JsonNode s = e.getValue();
            if (!s.has("healthcheck")) {
                missing.add(e.getKey() + ": healthcheck");
            }
            if (!s.has("mem_limit") && s.path("deploy").path("resources").path("limits").path("memory").isMissingNode()) {
                missing.add(e.getKey() + ": memory limit");
            }
            s.path("depends_on").fields().forEachRemaining(d -> {
                if (!"service_healthy".equals(d.getValue().path("condition").asText())) {
                    missing.add(e.getKey() + ": depends_on " + d.getKey() + " without service_healthy");
                }
            });
        });
        assertThat(missing).isEmpty();
        assertThat(services.path("kafka").path("image").asText()).isEqualTo("apache/kafka:4.1.1");
        for (String svc : List.of("trainer-service", "monitor-service", "tuner-service")) {
            assertThat(services.path(svc).path("build").path("dockerfile").asText()).as(svc).isEqualTo("src/main/docker/Dockerfile.jvm");
            assertThat(services.path(svc).path("environment").path("KAFKA_BOOTSTRAP_SERVERS").asText()).as(svc).isEqualTo("kafka:9092");
            assertThat(services.path(svc).path("depends_on").has("kafka")).as(svc).isTrue();
        }
        JsonNode cuda = services.path("trainer-cuda");
        assertThat(cuda.path("profiles").toString()).contains("cuda");
        assertThat(cuda.path("deploy").path("resources").path("reservations").path("devices").toString())
                .contains("nvidia").contains("gpu");
        String grafanaVolumes = services.path("grafana").path("volumes").toString();
        assertThat(grafanaVolumes).contains("dashboards/provisioning").contains("/etc/grafana/provisioning")
                .contains("dashboards/json").contains("/var/lib/grafana/dashboards");
        assertThat(grafanaVolumes).containsPattern("provisioning[^,]*(:ro|read_only)");
        assertThat(services.path("prometheus").path("volumes").toString()).contains("dashboards/prometheus");
    }
}
