package io.trainwatch.stack.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reads the Grafana dashboards of {@code dashboards/json} and the PromQL they hold. */
final class Dashboards {

    /** One PromQL expression of a dashboard: where it is ({@code dashboard / panel / refId}) and its text. */
    record Query(String where, String expr) {

        /** The expression with Grafana's variables replaced by values Prometheus accepts (all jobs, all runs). */
        String substituted() {
            return expr.replace("$__rate_interval", "1m")
                    .replace("$__interval", "15s")
                    .replace("$__range", "5m")
                    .replace("${job}", ".*").replace("$job", ".*")
                    .replace("${run}", ".*").replace("$run", ".*");
        }
    }

    /** A variable query {@code label_values(SELECTOR, LABEL)}. */
    record LabelValues(String where, String selector, String label) {
    }

    private static final Pattern LABEL_VALUES = Pattern.compile("^label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)$");
    private static final Pattern METRIC = Pattern.compile(
            "\\b((?:trainer|monitor|tuner|jvm|process|system|http_server|kafka|worker_pool|netty)_[a-zA-Z0-9_]*)\\b");

    private Dashboards() {
    }

    static List<Path> files(Path repo) {
        try (Stream<Path> s = Files.list(repo.resolve("dashboards/json"))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Every panel (rows' nested panels included). */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    /** Every PromQL expression of the panels and annotations of all dashboards. */
    static List<Query> queries(Path repo) {
        List<Query> out = new ArrayList<>();
        for (Path f : files(repo)) {
            JsonNode d = read(f);
            String title = d.path("title").asText();
            for (JsonNode p : panels(d)) {
                for (JsonNode t : p.path("targets")) {
                    if (t.hasNonNull("expr")) {
                        out.add(new Query(title + " / " + p.path("title").asText() + " / " + t.path("refId").asText(),
                                t.path("expr").asText()));
                    }
                }
            }
            for (JsonNode a : d.path("annotations").path("list")) {
                if (a.hasNonNull("expr")) {
                    out.add(new Query(title + " / annotation " + a.path("name").asText(), a.path("expr").asText()));
                }
            }
        }
        return out;
    }

    /** Every {@code label_values(...)} variable query of all dashboards. */
    static List<LabelValues> labelValues(Path repo) {
        List<LabelValues> out = new ArrayList<>();
        for (Path f : files(repo)) {
            JsonNode d = read(f);
            for (JsonNode v : d.path("templating").path("list")) {
                if ("query".equals(v.path("type").asText())) {
                    String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
                    Matcher m = LABEL_VALUES.matcher(q.trim());
                    if (m.matches()) {
                        out.add(new LabelValues(d.path("title").asText() + " / $" + v.path("name").asText(), m.group(1), m.group(2)));
                    }
                }
            }
        }
        return out;
    }

    /** The metric names (of the services' families) an expression uses. */
    static Set<String> metricNames(String expr) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
