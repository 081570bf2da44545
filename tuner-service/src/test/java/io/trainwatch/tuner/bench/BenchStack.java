package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The running stack a benchmark drives: the tuner's and the trainer's REST APIs, and the study files. Settings
 * (system properties): {@code bench.tuner} (default $TRAINWATCH_TUNER_URL or http://127.0.0.1:8083),
 * {@code bench.trainer} ($TRAINWATCH_TRAINER_URL or http://127.0.0.1:8081), {@code bench.timeout} (minutes per
 * study, 30), {@code bench.study} (a study file, or the name of a bundled one under {@code bench/}: {@code study}
 * (default), {@code hard-study}), {@code bench.trials} and {@code bench.steps} (override the study's
 * {@code budget.trials} and {@code budget.stepsPerTrial}).
 */
final class BenchStack {

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String tuner = url("bench.tuner", "TRAINWATCH_TUNER_URL", "http://127.0.0.1:8083");
    final String trainer = url("bench.trainer", "TRAINWATCH_TRAINER_URL", "http://127.0.0.1:8081");
    final Duration timeout = Duration.ofMinutes(Long.parseLong(System.getProperty("bench.timeout", "30")));

    private static String url(String property, String env, String fallback) {
        return System.getProperty(property, System.getenv().getOrDefault(env, fallback)).replaceAll("/+$", "");
    }

    /** Whether the service at {@code base} answers its readiness check. */
    boolean ready(String base) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).timeout(Duration.ofSeconds(5))
                    .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs {@code template} on the tuner as study {@code id} with {@code seed}; without reactions it is the
     * tuner's own random search: {@code reactions:false}, {@code remedies:false}, one round, every trial to its
     * budget. Waits for the study's end and reads it.
     */
    BenchmarkReport runTunerStudy(ObjectNode template, String id, long seed, boolean reactions) throws Exception {
        ObjectNode study = template.deepCopy();
        study.put("id", id);
        study.put("seed", seed);
        if (!reactions) {
            study.put("reactions", false);
            study.put("remedies", false);
            ((ObjectNode) study.get("budget")).put("rounds", 1);
        }
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(tuner + "/studies"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + System.getenv().getOrDefault("TRAINWATCH_API_TOKEN", ""))
                .POST(HttpRequest.BodyPublishers.ofString(study.toString())).build(), HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new IllegalStateException("the tuner refused the study: " + created.statusCode() + " " + created.body());
        }
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            JsonNode s = get(tuner + "/studies/" + id);
            if (s != null && !"running".equals(s.path("status").asText())) {
                return BenchmarkReport.of(s);
            }
            // Polling a remote service: the benchmark waits on the real world, not on logic.
            Thread.sleep(1000);
        }
        throw new IllegalStateException("study " + id + " did not finish within " + timeout);
    }

    /**
     * A run's last validation accuracy as the trainer shows it: the last of {@code GET /runs/{id}/validations},
     * else the run's latest {@code validationAccuracy}; null when the trainer no longer knows the run.
     */
    Double lastValidation(String runId) {
        try {
            JsonNode list = get(trainer + "/runs/" + runId + "/validations");
            if (list != null && list.isArray() && !list.isEmpty()) {
                JsonNode last = list.get(list.size() - 1).get("validationAccuracy");
                return last != null && last.isNumber() ? last.asDouble() : null;
            }
            JsonNode view = get(trainer + "/runs/" + runId);
            return view != null && view.path("validationAccuracy").isNumber() ? view.get("validationAccuracy").asDouble() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private JsonNode get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? EventCodec.MAPPER.readTree(r.body()) : null;
    }

    /** The study to benchmark ({@code bench.study}), with the budget overrides ({@code bench.trials}, {@code bench.steps}). */
    static ObjectNode studyTemplate() throws IOException {
        String name = System.getProperty("bench.study", "study");
        JsonNode study;
        Path file = Path.of(name);
        if (Files.isRegularFile(file)) {
            study = EventCodec.MAPPER.readTree(Files.readString(file));
        } else {
            String resource = "/bench/" + (name.endsWith(".json") ? name : name + ".json");
            try (InputStream in = BenchStack.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalArgumentException("bench.study=" + name + ": neither a file nor a bundled study ("
                            + resource + ")");
                }
                study = EventCodec.MAPPER.readTree(in);
            }
        }
        ObjectNode template = (ObjectNode) study;
        ObjectNode budget = (ObjectNode) template.get("budget");
        if (System.getProperty("bench.trials") != null) {
            budget.put("trials", Integer.parseInt(System.getProperty("bench.trials")));
        }
        if (System.getProperty("bench.steps") != null) {
            budget.put("stepsPerTrial", Long.parseLong(System.getProperty("bench.steps")));
        }
        return template;
    }
}
