package io.trainwatch.stack.loop;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import io.trainwatch.stack.Cli;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A study's preflight over the real broker and the three real services (see {@link Stack}): a study runs CS231n's
 * tuning procedure before its search. A healthy configuration passes the three preflight steps and searches the range
 * the range test chose (which holds the best trial's rate), followed by the command-line client, which prints each
 * step as it completes;
 * a badly initialised model (the trainer's {@code bad-initialization-huge} scenario) stops at step 1 with the cause
 * named; a model with too little capacity (no hidden layer on spirals, the trainer's {@code underfitting}
 * scenario) stops at step 2. Trials are kept short: the class takes ~35 s with the stack's start (measured
 * 2026-11-23: studies of 14, 3 and 4 s).
 */
class PreflightStudyIT {

    private static final Duration STUDY_TIMEOUT = Duration.ofSeconds(120);
    private final Stack stack = Stack.get();
    private final String suffix = Long.toString(System.currentTimeMillis(), 36);

    @Test
    void aHealthyStudyPassesTheThreeStepsAndSearchesTheChosenRange(@TempDir Path dir) throws Exception {
        String studyId = "preflight-healthy-" + suffix;
        // The trainer's `healthy` model (2x64 ReLU, Adam, 3-class spirals) with the learning rate left to the preflight.
        String study = """
                {"id": "%s", "name": "preflight: healthy", "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 1e-5, "max": 1}},
                 "budget": {"trials": 4, "concurrentTrials": 1, "stepsPerTrial": 150, "rounds": 2, "refineStepsFactor": 1},
                 "dataset": {"type": "spirals", "classes": 3, "samples": 900, "noise": 0.2},
                 "model": {"hiddenLayers": [64, 64], "activation": "relu", "weightInit": "xavier", "optimizer": "adam",
                           "batchSize": 32, "validateEverySteps": 50},
                 "seed": 3,
                 "preflight": {"initialLoss": {}, "overfitSubset": {"batches": 5, "maxSteps": 500},
                               "lrRangeTest": {"from": 1e-6, "to": 10, "steps": 200}}}""".formatted(studyId);
        Path file = dir.resolve("study.json");
        Files.writeString(file, study);
        long t0 = System.nanoTime();
        // ./trainwatch study FILE.json (the command-line client), following the study to its end.
        ProcessBuilder pb = new ProcessBuilder(Cli.command(stack.repo(), "study", file.toString())).redirectErrorStream(true);
        pb.environment().put("TRAINWATCH_TUNER_URL", stack.baseUrl(Service.TUNER));
        pb.environment().put("STUDY_INTERVAL", "0.5");
        pb.environment().remove("TRAINWATCH_API_TOKEN");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(STUDY_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        String printed = new String(out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        JsonNode s = study(studyId);
        System.out.println(stack.get(Service.TUNER, "/studies/" + studyId + "/text?decisions=30").body());
        assertThat(p.exitValue()).as(printed).isZero();
        assertThat(s.path("status").asText()).as(s.path("stopReason").asText()).isEqualTo("completed");

        JsonNode pre = s.path("preflight");
        JsonNode initial = pre.path("initialLoss");
        JsonNode overfit = pre.path("overfitSubset");
        JsonNode range = pre.path("lrRangeTest");
        assertThat(initial.path("status").asText()).as(initial.toString()).isEqualTo("passed");
        assertThat(initial.path("expected").asDouble()).isCloseTo(Math.log(3), org.assertj.core.data.Offset.offset(1e-9));
        assertThat(initial.path("firstLoss").asDouble()).isBetween(Math.log(3) / 3, Math.log(3) * 3);
        assertThat(overfit.path("status").asText()).as(overfit.toString()).isEqualTo("passed");
        assertThat(overfit.path("stepsTo100").asLong()).isBetween(5L, 500L);
        assertThat(range.path("status").asText()).as(range.toString()).isEqualTo("passed");
        List<JsonNode> points = StreamSupport.stream(range.path("points").spliterator(), false).toList();
        assertThat(points).hasSizeBetween(10, 200);
        double lo = range.path("range").get(0).asDouble();
        double hi = range.path("range").get(1).asDouble();
        assertThat(lo).isGreaterThan(0).isLessThan(hi);
        assertThat(hi).isLessThanOrEqualTo(range.path("minLossRate").asDouble());
        // The chosen range became the search's range, and holds the best trial's rate.
        assertThat(s.path("rounds").get(0).path("space").path("learningRate").path("min").asDouble()).isEqualTo(lo);
        List<JsonNode> board = StreamSupport.stream(s.path("leaderboard").spliterator(), false).toList();
        JsonNode best = board.get(0);
        assertThat(best.path("origin").asText()).isIn("random", "refine", "remedy");
        double bestRate = best.path("hyperparameters").path("learningRate").asDouble();
        assertThat(bestRate).isBetween(lo * (1 - 1e-9), hi * (1 + 1e-9));
        assertThat(best.path("best").asDouble()).as("best validation accuracy").isGreaterThan(0.8);
        assertThat(board.stream().filter(t -> t.path("origin").asText().equals("preflight"))).hasSize(3);
        // The client printed each step once, with its numbers, as it completed.
        assertThat(printed).contains("study: preflight 1/3 initial-loss PASSED: first loss")
                .contains("study: preflight 2/3 overfit-subset PASSED: 5 batches")
                .contains("study: preflight 3/3 lr-range-test PASSED:").contains("range [")
                .contains("study " + studyId + " completed.");
        assertThat(printed.split("study: preflight 1/3", -1)).hasSize(2);
        System.out.printf(Locale.ROOT, "preflight healthy: first loss %.4f vs ln(3) %.4f; 100 %% on %d batches after %d steps;"
                        + " range [%.3g, %.3g] (steepest %.3g, minimum at %.3g, %d points); best %s rate %.3g accuracy %.4f;"
                        + " %.1f s%n", initial.path("firstLoss").asDouble(), Math.log(3), overfit.path("batches").asInt(),
                overfit.path("stepsTo100").asLong(), lo, hi, range.path("steepestRate").asDouble(),
                range.path("minLossRate").asDouble(), points.size(), best.path("trialId").asText(), bestRate,
                best.path("best").asDouble(), seconds);
    }

    @Test
    void aBadlyInitialisedModelStopsAtStepOneWithTheCauseNamed() throws Exception {
        String studyId = "preflight-bad-init-" + suffix;
        // The trainer's `bad-initialization-huge` scenario (2x64 ReLU, N(0, 10^2) weights, 5-class blobs).
        String study = """
                {"id": "%s", "name": "preflight: bad init", "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 1e-4, "max": 1e-1}},
                 "budget": {"trials": 2, "concurrentTrials": 1, "stepsPerTrial": 100, "rounds": 1},
                 "dataset": {"type": "blobs", "classes": 5, "features": 20, "samples": 2000, "noise": 1.0},
                 "model": {"scenario": "bad-initialization-huge"},
                 "preflight": true}""".formatted(studyId);
        long t0 = System.nanoTime();
        assertThat(stack.postJson(Service.TUNER, "/studies", study).statusCode()).isEqualTo(201);
        await().atMost(STUDY_TIMEOUT).pollInterval(Duration.ofMillis(300))
                .until(() -> !"running".equals(study(studyId).path("status").asText()));
        JsonNode s = study(studyId);
        JsonNode initial = s.path("preflight").path("initialLoss");
        assertThat(s.path("status").asText()).isEqualTo("stopped");
        assertThat(initial.path("status").asText()).isEqualTo("failed");
        assertThat(initial.path("cause").asText()).isEqualTo("init-scale");
        assertThat(initial.path("firstLoss").asDouble()).isGreaterThan(3 * Math.log(5));
        assertThat(s.path("stopReason").asText()).contains("init-scale").contains("initial weights are too large");
        assertThat(s.path("preflight").path("overfitSubset").path("status").asText()).isEqualTo("skipped");
        assertThat(s.path("preflight").path("lrRangeTest").path("status").asText()).isEqualTo("skipped");
        assertThat(s.path("trialsStarted").asInt()).as("no search trial").isZero();
        System.out.printf(Locale.ROOT, "preflight bad init: first loss %.4f vs ln(5) %.4f (x%.1f): %s; %.1f s%n",
                initial.path("firstLoss").asDouble(), Math.log(5), initial.path("firstLoss").asDouble() / Math.log(5),
                initial.path("cause").asText(), (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void aModelWithTooLittleCapacityStopsAtStepTwoNamingWhatWasTried() throws Exception {
        String studyId = "preflight-no-capacity-" + suffix;
        // The trainer's `underfitting` model: no hidden layer (logistic regression) on 3-class spirals.
        String study = """
                {"id": "%s", "name": "preflight: no capacity", "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 1e-3, "max": 1e-1}},
                 "budget": {"trials": 2, "concurrentTrials": 1, "stepsPerTrial": 100, "rounds": 1},
                 "dataset": {"type": "spirals", "classes": 3, "samples": 900, "noise": 0.2},
                 "model": {"hiddenLayers": [], "optimizer": "adam", "batchSize": 32},
                 "preflight": {"overfitSubset": {"batches": 5, "maxSteps": 300}, "lrRangeTest": false}}""".formatted(studyId);
        long t0 = System.nanoTime();
        assertThat(stack.postJson(Service.TUNER, "/studies", study).statusCode()).isEqualTo(201);
        await().atMost(STUDY_TIMEOUT).pollInterval(Duration.ofMillis(300))
                .until(() -> !"running".equals(study(studyId).path("status").asText()));
        JsonNode s = study(studyId);
        JsonNode overfit = s.path("preflight").path("overfitSubset");
        assertThat(s.path("preflight").path("initialLoss").path("status").asText()).isEqualTo("passed");
        assertThat(s.path("status").asText()).isEqualTo("stopped");
        assertThat(overfit.path("status").asText()).isEqualTo("failed");
        assertThat(overfit.path("bestAccuracy").asDouble()).isLessThan(1.0);
        assertThat(overfit.path("steps").asLong()).isEqualTo(300);
        assertThat(s.path("stopReason").asText()).contains("could not fit 5 mini-batches").contains("300 of 300 steps")
                .contains("too little capacity");
        assertThat(s.path("trialsStarted").asInt()).as("no search trial").isZero();
        System.out.printf(Locale.ROOT, "preflight no capacity: first loss %.4f; best batch accuracy %.4f after %d steps on %d"
                        + " batches; %.1f s%n", s.path("preflight").path("initialLoss").path("firstLoss").asDouble(),
                overfit.path("bestAccuracy").asDouble(), overfit.path("steps").asLong(), overfit.path("batches").asInt(),
                (System.nanoTime() - t0) / 1e9);
    }

    private JsonNode study(String id) throws IOException {
        HttpResponse<String> r = stack.get(Service.TUNER, "/studies/" + id);
        assertThat(r.statusCode()).isEqualTo(200);
        return EventCodec.MAPPER.readTree(r.body());
    }
}
