package io.trainwatch.stack.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.trainwatch.stack.Stack;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboards are valid Grafana JSON with stable uids and the three template variables; provisioning matches. */
class DashboardJsonIT {

    private final Path repo = Stack.repoRoot();

    @Test
    void everyDashboardHasUidTitleSchemaVersionAndVariables() {
        List<Path> files = Dashboards.files(repo);
        assertThat(files).hasSizeGreaterThanOrEqualTo(4);
        Set<String> uids = new HashSet<>();
        Set<String> titles = new HashSet<>();
        for (Path f : files) {
            JsonNode d = Dashboards.read(f);
            String name = f.getFileName().toString();
            assertThat(d.path("uid").asText()).as(name).matches("trainwatch-[a-z-]+");
            assertThat(d.path("uid").asText().length()).as(name).isLessThanOrEqualTo(40);
            assertThat(uids.add(d.path("uid").asText())).as(name + " uid unique").isTrue();
            assertThat(d.path("title").asText()).as(name).isNotBlank();
            assertThat(titles.add(d.path("title").asText())).as(name + " title unique").isTrue();
            assertThat(d.path("schemaVersion").asInt()).as(name).isBetween(36, 41);
            assertThat(d.has("id")).as(name + ": no instance id in provisioned files").isFalse();

            JsonNode vars = d.path("templating").path("list");
            JsonNode ds = find(vars, "datasource");
            assertThat(ds).as(name + " $datasource").isNotNull();
            assertThat(ds.path("type").asText()).isEqualTo("datasource");
            assertThat(ds.path("query").asText()).isEqualTo("prometheus");
            for (String v : List.of("job", "run")) {
                JsonNode var = find(vars, v);
                assertThat(var).as(name + " $" + v).isNotNull();
                assertThat(var.path("type").asText()).isEqualTo("query");
                assertThat(var.path("query").path("query").asText()).as(name + " $" + v).startsWith("label_values(");
                assertThat(var.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            }
        }
    }

    @Test
    void everyPanelUsesTheDatasourceVariableAndHasUniqueIds() {
        List<String> problems = new ArrayList<>();
        for (Path f : Dashboards.files(repo)) {
            JsonNode d = Dashboards.read(f);
            Set<Integer> ids = new HashSet<>();
            for (JsonNode p : Dashboards.panels(d)) {
                String where = d.path("title").asText() + " / " + p.path("title").asText();
                if (!ids.add(p.path("id").asInt())) {
                    problems.add(where + ": duplicate panel id " + p.path("id").asInt());
                }
                JsonNode grid = p.path("gridPos");
                if (grid.path("w").asInt() <= 0 || grid.path("x").asInt() + grid.path("w").asInt() > 24) {
                    problems.add(where + ": gridPos " + grid);
                }
                if ("row".equals(p.path("type").asText())) {
                    continue;
                }
                if (!"${datasource}".equals(p.path("datasource").path("uid").asText())) {
                    problems.add(where + ": datasource " + p.path("datasource"));
                }
                if (p.path("targets").isEmpty()) {
                    problems.add(where + ": no query");
                }
                for (JsonNode t : p.path("targets")) {
                    if (t.path("expr").asText().isBlank()) {
                        problems.add(where + ": empty expr");
                    }
                    if (!t.path("expr").asText().contains("$job") && !t.path("expr").asText().startsWith("up")) {
                        problems.add(where + ": expr ignores $job: " + t.path("expr").asText());
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void provisioningMatchesTheDashboardsAndCompose() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode ds = yaml.readTree(repo.resolve("dashboards/provisioning/datasources/prometheus.yaml").toFile());
        JsonNode source = ds.path("datasources").get(0);
        assertThat(source.path("type").asText()).isEqualTo("prometheus");
        assertThat(source.path("uid").asText()).isEqualTo("trainwatch-prometheus");
        assertThat(source.path("url").asText()).isEqualTo("http://prometheus:9090");
        for (Path f : Dashboards.files(repo)) {
            JsonNode var = find(Dashboards.read(f).path("templating").path("list"), "datasource");
            assertThat(var.path("current").path("value").asText()).as(f.getFileName().toString())
                    .isEqualTo(source.path("uid").asText());
        }
        JsonNode provider = yaml.readTree(repo.resolve("dashboards/provisioning/dashboards/trainwatch.yaml").toFile())
                .path("providers").get(0);
        assertThat(provider.path("type").asText()).isEqualTo("file");
        assertThat(provider.path("options").path("path").asText()).isEqualTo("/var/lib/grafana/dashboards");
        String compose = java.nio.file.Files.readString(repo.resolve("docker-compose.yml"));
        assertThat(compose).contains("./dashboards/json:/var/lib/grafana/dashboards:ro")
                .contains("./dashboards/provisioning:/etc/grafana/provisioning:ro");
    }

    @Test
    void requiredPanelsExist() {
        List<String> titles = new ArrayList<>();
        for (Path f : Dashboards.files(repo)) {
            JsonNode d = Dashboards.read(f);
            Dashboards.panels(d).forEach(p -> titles.add(d.path("title").asText() + " / " + p.path("title").asText()));
        }
        assertThat(titles).contains(
                "Trainwatch / Training runs / Loss and validation loss",
                "Trainwatch / Training runs / Accuracy and validation accuracy",
                "Trainwatch / Training runs / Learning rate",
                "Trainwatch / Training runs / Global gradient norm (log scale)",
                "Trainwatch / Training runs / Per-layer gradient norm (log scale)",
                "Trainwatch / Training runs / Step time",
                "Trainwatch / Training runs / Throughput",
                "Trainwatch / Alerts / Firing alerts by detector and severity",
                "Trainwatch / Alerts / Recent alerts by detector, severity and status",
                "Trainwatch / Tuner / Studies by status",
                "Trainwatch / Tuner / Trials by status",
                "Trainwatch / Tuner / Best objective value over time",
                "Trainwatch / Tuner / Decisions by policy and action",
                "Trainwatch / Pipeline health / Events/s through each service",
                "Trainwatch / Pipeline health / Dead letters (DLQ) rate",
                "Trainwatch / Pipeline health / Telemetry dropped by trainers",
                "Trainwatch / Pipeline health / Heap used");
    }

    private static JsonNode find(JsonNode vars, String name) {
        for (JsonNode v : vars) {
            if (name.equals(v.path("name").asText())) {
                return v;
            }
        }
        return null;
    }
}
