package io.trainwatch.tuner.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tuner's benchmark (reactions and coarse-to-fine search against plain random search), against a running stack (tuner, trainer workers, monitor on one broker):
 * for each seed, the same study twice with the same budget: (a) plain random search, no reactions, every
 * trial to its budget, one round; (b) this tuner: reactions and coarse-to-fine. Prints a table of total
 * steps, steps and wall time to the target validation accuracy, best accuracy, and best accuracy at equal
 * budget. Settings (system properties): {@code bench.tuner} (default $TRAINWATCH_TUNER_URL or
 * http://127.0.0.1:8083), {@code bench.seeds} (1,2,3), {@code bench.target} (0.9), {@code bench.study}
 * (a study file; default the bundled {@code bench/study.json}), {@code bench.timeout} (minutes per study, 30).
 */
@Tag("slow")
class TunerBenchmarkTest {

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String tuner = System.getProperty("bench.tuner",
            System.getenv().getOrDefault("TRAINWATCH_TUNER_URL", "http://127.0.0.1:8083")).replaceAll("/+$", "");
    final double target = Double.parseDouble(System.getProperty("bench.target", "0.9"));
    final Duration timeout = Duration.ofMinutes(Long.parseLong(System.getProperty("bench.timeout", "30")));

    @Test
    void reactionsAndCoarseToFineAgainstPlainRandomSearch() throws Exception {
        Assumptions.assumeTrue(reachable(), "no tuner answers at " + tuner + ": start the stack (./trainwatch up) first");
        ObjectNode base = (ObjectNode) studyTemplate();
        String run = Long.toString(Instant.now().getEpochSecond(), 36);
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-5s %-9s %6s %11s %15s %13s %8s %17s", "seed", "arm", "trials",
                "total steps", "steps to target", "wall to target", "best", "best @ equal steps"));
        double ratioSum = 0;
        int ratios = 0;
        for (String seedText : System.getProperty("bench.seeds", "1,2,3").split(",")) {
            long seed = Long.parseLong(seedText.trim());
            BenchmarkReport a = runStudy(base, "bench-" + run + "-s" + seed + "-random", seed, false);
            BenchmarkReport b = runStudy(base, "bench-" + run + "-s" + seed + "-tuner", seed, true);
            long equal = Math.min(a.totalSteps(), b.totalSteps());
            lines.add(row(seed, "(a) random", a, a.bestWithin(equal)));
            lines.add(row(seed, "(b) tuner", b, b.bestWithin(equal)));
            if (a.stepsToTarget() != null && b.stepsToTarget() != null) {
                ratioSum += b.stepsToTarget() / (double) a.stepsToTarget();
                ratios++;
            }
        }
        lines.add(ratios == 0 ? "steps to target (b)/(a): target " + target + " not reached by both arms in any seed"
                : String.format(Locale.ROOT, "steps to target (b)/(a), mean over %d seeds: %.0f %% (goal <= 60 %%)",
                ratios, 100 * ratioSum / ratios));
        System.out.println(String.join(System.lineSeparator(), lines));
    }

    private String row(long seed, String arm, BenchmarkReport r, Double bestEqual) {
        return String.format(Locale.ROOT, "%-5d %-9s %6d %11d %15s %13s %8s %17s", seed, arm, r.trials(), r.totalSteps(),
                r.stepsToTarget() == null ? "not reached" : r.stepsToTarget().toString(), BenchmarkReport.fmt(r.wallToTarget()),
                BenchmarkReport.fmt(r.best()), BenchmarkReport.fmt(bestEqual));
    }

    private BenchmarkReport runStudy(ObjectNode template, String id, long seed, boolean tuned) throws Exception {
        ObjectNode study = template.deepCopy();
        study.put("id", id);
        study.put("seed", seed);
        if (!tuned) {
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
            JsonNode s = EventCodec.MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(tuner + "/studies/" + id))
                    .GET().build(), HttpResponse.BodyHandlers.ofString()).body());
            if (!"running".equals(s.get("status").asText())) {
                return BenchmarkReport.of(s, target);
            }
            // Polling a remote service: the benchmark waits on the real world, not on logic.
            Thread.sleep(1000);
        }
        throw new IllegalStateException("study " + id + " did not finish within " + timeout);
    }

    private JsonNode studyTemplate() throws Exception {
        String file = System.getProperty("bench.study");
        if (file != null) {
            return EventCodec.MAPPER.readTree(java.nio.file.Files.readString(java.nio.file.Path.of(file)));
        }
        try (InputStream in = getClass().getResourceAsStream("/bench/study.json")) {
            return EventCodec.MAPPER.readTree(in);
        }
    }

    private boolean reachable() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(tuner + "/q/health/ready")).timeout(Duration.ofSeconds(5))
                    .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }
}
