package io.trainwatch.stack.loop;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunControl;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.stack.RecordTap;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * Runs that trainer-service did not start, steered by the real tuner over the real broker and services (see
 * {@link Stack}): three plain-Java programs ({@link ExternalTrainer}) publish the same plateauing loss at once; the
 * one that declares {@code control: auto} gets a {@code set-learning-rate} for the monitor's plateau alert, confirms
 * it and its loss falls again; the one that declares {@code suggest} gets the same decay as a suggestion and keeps
 * its rate; the one that declares nothing gets the alert and no command at all.
 */
class ExternalRunSteeringIT {

    private static final int MAX_STEPS = 2_500;
    private static final long STEP_MILLIS = 4;
    private final Stack stack = Stack.get();
    private final String prefix = "ext-" + Long.toString(System.currentTimeMillis(), 36) + "-";

    @Test
    void autoIsSteeredSuggestIsOnlyToldAndNoControlIsLeftAlone() throws Exception {
        String auto = prefix + "auto";
        String suggest = prefix + "suggest";
        String none = prefix + "none";
        ExternalTrainer autoJob = new ExternalTrainer(stack.bootstrapServers(), auto, RunControl.of(RunControl.AUTO));
        ExternalTrainer suggestJob = new ExternalTrainer(stack.bootstrapServers(), suggest,
                RunControl.of(RunControl.SUGGEST));
        ExternalTrainer noneJob = new ExternalTrainer(stack.bootstrapServers(), none, null);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (RecordTap tap = RecordTap.runsStartingWith(stack.bootstrapServers(), prefix)) {
            long[] appliedAt = {-1};
            // auto: 200 steps after the decay is applied; suggest: 100 steps after the suggestion; none: 300 steps
            // after its plateau alert (the alert reached the tuner as much as the others').
            Future<ExternalTrainer.Result> a = pool.submit(() -> autoJob.run(MAX_STEPS, STEP_MILLIS, step -> {
                if (appliedAt[0] < 0 && autoJob.received().stream().anyMatch(c -> !c.isSuggestion())) {
                    appliedAt[0] = step;
                }
                return appliedAt[0] >= 0 && step >= appliedAt[0] + 200;
            }));
            long[] suggestedAt = {-1};
            Future<ExternalTrainer.Result> s = pool.submit(() -> suggestJob.run(MAX_STEPS, STEP_MILLIS, step -> {
                if (suggestedAt[0] < 0 && !suggestJob.received().isEmpty()) {
                    suggestedAt[0] = step;
                }
                return suggestedAt[0] >= 0 && step >= suggestedAt[0] + 100;
            }));
            long[] alertedAt = {-1};
            Future<ExternalTrainer.Result> n = pool.submit(() -> noneJob.run(MAX_STEPS, STEP_MILLIS, step -> {
                if (alertedAt[0] < 0 && tap.alerts(none).stream().anyMatch(x -> x.detector().equals("plateau"))) {
                    alertedAt[0] = step;
                }
                return alertedAt[0] >= 0 && step >= alertedAt[0] + 300;
            }));
            ExternalTrainer.Result autoRun = a.get(120, TimeUnit.SECONDS);
            ExternalTrainer.Result suggestRun = s.get(120, TimeUnit.SECONDS);
            ExternalTrainer.Result noneRun = n.get(120, TimeUnit.SECONDS);

            // auto: the plateau alert, a set-learning-rate answering it, applied and confirmed, the loss falls.
            Alert plateau = firing(tap, auto);
            assertThat(autoRun.applied()).as("auto run applied a command").isNotEmpty();
            CommandApplied applied = autoRun.applied().get(0);
            TunerCommand decay = autoRun.received().stream().filter(c -> c.commandId().equals(applied.commandId()))
                    .findFirst().orElseThrow();
            assertThat(decay.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
            assertThat(decay.isSuggestion()).isFalse();
            assertThat(decay.alertId()).isEqualTo(plateau.alertId());
            assertThat(decay.learningRate()).isCloseTo(ExternalTrainer.START_RATE * 0.1, within(1e-12));
            assertThat(applied.step()).isGreaterThanOrEqualTo(plateau.step());
            double before = meanLoss(autoRun.steps(), applied.step() - 50, applied.step() - 1);
            double after = meanLoss(autoRun.steps(), applied.step() + 100, applied.step() + 200);
            assertThat(after).as("mean loss 100-200 steps after the decay vs the 50 before").isLessThan(before * 0.8);
            System.out.printf("ExternalRunSteeringIT: plateau alert at step %d, set-learning-rate %s applied at step %d,"
                    + " mean loss %.3f before, %.3f 100-200 steps after%n", plateau.step(), decay.learningRate(),
                    applied.step(), before, after);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                JsonNode view = run(auto);
                assertThat(view.path("control").path("mode").asText()).isEqualTo("auto");
                assertThat(view.path("status").asText()).isEqualTo("completed");
                assertThat(view.path("pending")).isEmpty();
                List<String> actions = new ArrayList<>();
                view.path("decisions").forEach(d -> actions.add(d.path("action").asText()));
                assertThat(actions).contains("start", "set-learning-rate", "confirmed", "end");
            });

            // suggest: the same decay as a suggestion, never applied, the rate kept.
            Alert suggestPlateau = firing(tap, suggest);
            assertThat(suggestRun.received()).as("suggestions").isNotEmpty().allSatisfy(c -> {
                assertThat(c.isSuggestion()).isTrue();
                assertThat(c.mode()).isEqualTo(TunerCommand.SUGGEST);
            });
            TunerCommand suggestion = suggestRun.received().get(0);
            assertThat(suggestion.type()).isEqualTo(TunerCommand.SET_LEARNING_RATE);
            assertThat(suggestion.alertId()).isEqualTo(suggestPlateau.alertId());
            assertThat(suggestion.learningRate()).isCloseTo(ExternalTrainer.START_RATE * 0.1, within(1e-12));
            assertThat(suggestion.reason()).startsWith("plateau:").contains("learning rate 0.01000 -> 0.001000");
            assertThat(suggestRun.applied()).isEmpty();
            assertThat(suggestRun.steps()).allSatisfy(x -> assertThat(x.learningRate()).isEqualTo(ExternalTrainer.START_RATE));
            System.out.println("ExternalRunSteeringIT: GET /runs/" + auto + " -> " + run(auto));
            JsonNode suggestView = run(suggest);
            System.out.println("ExternalRunSteeringIT: GET /runs/" + suggest + " -> " + suggestView);
            System.out.println("ExternalRunSteeringIT: suggestion " + new String(EventCodec.write(suggestion),
                    java.nio.charset.StandardCharsets.UTF_8));
            assertThat(suggestView.path("control").path("mode").asText()).isEqualTo("suggest");
            assertThat(suggestView.path("suggestions").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(suggestView.path("pending")).isEmpty();

            // no control: the alert came, no command or suggestion did, and the tuner does not track it.
            firing(tap, none);
            assertThat(noneRun.received()).isEmpty();
            assertThat(tap.commands(none)).isEmpty();
            assertThat(stack.get(Service.TUNER, "/runs/" + none).statusCode()).isEqualTo(404);

            HttpResponse<String> metrics = stack.get(Service.TUNER, "/q/metrics");
            assertThat(metrics.body()).contains("tuner_suggestions_total{type=\"set-learning-rate\"}")
                    .containsPattern("tuner_runs\\{mode=\"auto\",status=\"completed\"} [1-9]");
        } finally {
            pool.shutdownNow();
        }
    }

    private static Alert firing(RecordTap tap, String runId) {
        return tap.alerts(runId).stream().filter(a -> a.detector().equals("plateau") && a.status().equals(Alert.FIRING))
                .findFirst().orElseThrow(() -> new AssertionError("no plateau alert for " + runId + ": "
                        + tap.alerts(runId)));
    }

    private JsonNode run(String runId) throws Exception {
        HttpResponse<String> r = stack.get(Service.TUNER, "/runs/" + runId);
        assertThat(r.statusCode()).as("GET /runs/" + runId + ": " + r.body()).isEqualTo(200);
        return EventCodec.MAPPER.readTree(r.body());
    }

    private static double meanLoss(List<StepEvent> steps, long from, long to) {
        return steps.stream().filter(s -> s.step() >= from && s.step() <= to).mapToDouble(StepEvent::loss).average()
                .orElseThrow(() -> new AssertionError("no steps in [" + from + ", " + to + "]"));
    }
}
