package io.trainwatch.stack.loop;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.Alert;
import io.trainwatch.events.CommandApplied;
import io.trainwatch.events.EventCodec;
import io.trainwatch.events.RunFinished;
import io.trainwatch.events.StepEvent;
import io.trainwatch.events.TrainingEvent;
import io.trainwatch.events.TunerCommand;
import io.trainwatch.stack.RecordTap;
import io.trainwatch.stack.Stack;
import io.trainwatch.stack.Stack.Service;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The closed loop over the real broker and the three real services (see {@link Stack}): the monitor's
 * plateau alert makes the tuner send {@code set-learning-rate}, the trainer confirms it, the next steps run at the
 * new rate and the loss falls again; and a study whose space holds diverging and vanishing configurations stops
 * those early, for the right reasons, and spends its budget on the others. The tuner steers only trials of its
 * studies, so the plateau run is the single trial of a one-point study.
 */
class ClosedLoopIT {

    /** Generous: both studies take 20-100 s on a small, busy machine. */
    private static final Duration STUDY_TIMEOUT = Duration.ofSeconds(240);
    private final Stack stack = Stack.get();
    private final String suffix = Long.toString(System.currentTimeMillis(), 36);

    @Test
    void aPlateauIsAnsweredWithALowerRateThatTheTrainerAppliesAndTheLossFallsAgain() throws Exception {
        String studyId = "loop-plateau-" + suffix;
        String runId = studyId + "-t000";
        // The trainer's `plateau` scenario (Adam 0.03 on overlapping blobs: flat at ~0.25 from step ~100).
        String study = """
                {"id": "%s", "name": "closed loop: plateau", "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 0.03, "max": 0.03}},
                 "budget": {"trials": 1, "concurrentTrials": 1, "stepsPerTrial": 400, "rounds": 1},
                 "dataset": {"type": "blobs", "classes": 5, "features": 20, "noise": 3, "samples": 4000},
                 "model": {"hiddenLayers": [64, 64], "activation": "relu", "weightInit": "xavier",
                           "optimizer": "adam", "batchSize": 32},
                 "seed": 1}""".formatted(studyId);
        try (RecordTap tap = RecordTap.runsStartingWith(stack.bootstrapServers(), studyId)) {
            assertThat(stack.postJson(Service.TUNER, "/studies", study).statusCode()).isEqualTo(201);
            await().atMost(STUDY_TIMEOUT).pollInterval(Duration.ofMillis(500))
                    .until(() -> tap.events(runId).stream().anyMatch(e -> e instanceof RunFinished));
            await().atMost(Duration.ofSeconds(20)).until(() -> "completed".equals(study(studyId).path("status").asText()));

            Alert plateau = tap.alerts(runId).stream()
                    .filter(a -> a.detector().equals("plateau") && a.status().equals(Alert.FIRING))
                    .findFirst().orElseThrow(() -> new AssertionError("no plateau alert: " + tap.alerts(runId)));
            TunerCommand decay = tap.commands(runId).stream()
                    .filter(c -> c.type().equals(TunerCommand.SET_LEARNING_RATE))
                    .findFirst().orElseThrow(() -> new AssertionError("no set-learning-rate: " + tap.commands(runId)));
            assertThat(decay.alertId()).isEqualTo(plateau.alertId());
            assertThat(decay.learningRate()).isCloseTo(0.003, org.assertj.core.data.Percentage.withPercentage(1));

            List<TrainingEvent> events = tap.events(runId);
            CommandApplied applied = events.stream().filter(e -> e instanceof CommandApplied)
                    .map(e -> (CommandApplied) e).filter(c -> c.commandId().equals(decay.commandId()))
                    .findFirst().orElseThrow(() -> new AssertionError("the trainer never confirmed " + decay.commandId()));
            assertThat(applied.step()).isGreaterThanOrEqualTo(plateau.step());
            List<StepEvent> steps = events.stream().filter(e -> e instanceof StepEvent).map(e -> (StepEvent) e).toList();
            List<StepEvent> after = steps.stream().filter(s -> s.step() >= applied.step()).toList();
            assertThat(after).as("steps after the command").hasSizeGreaterThan(50);
            assertThat(after.subList(0, 50)).allSatisfy(s ->
                    assertThat(s.learningRate()).isCloseTo(decay.learningRate(), org.assertj.core.data.Percentage.withPercentage(0.01)));

            // The loss moves again: the mean batch loss over the 100 steps before the decay against steps 20-150 after it.
            double before = meanLoss(steps, applied.step() - 100, applied.step() - 1);
            double later = meanLoss(steps, applied.step() + 20, applied.step() + 150);
            System.out.printf(Locale.ROOT, "plateau loop: alert at step %d, %s at step %d (%.4g -> %.4g), mean loss %.4f -> %.4f%n",
                    plateau.step(), decay.type(), applied.step(), decay.learningRate() * 10, decay.learningRate(), before, later);
            assertThat(later).isLessThan(0.85 * before);
            // The decay answered the plateau: it is not "decayed too early" (which would make the tuner raise it back).
            assertThat(tap.alerts(runId)).noneMatch(a -> a.detector().equals("lr-decayed-too-early"));
        }
    }

    @Test
    void aStudyStopsDivergingAndVanishingTrialsEarlyAndSpendsTheBudgetElsewhere() throws Exception {
        String studyId = "loop-pathologies-" + suffix;
        int trials = 6;
        int stepsPerTrial = 300;
        // 10 layers of 64 with N(0, 0.05^2) init and SGD: sigmoid vanishes, rates above ~1 diverge; ReLU + He at a
        // sane rate trains. Seed 8 draws both kinds of failure among its first trials.
        String study = """
                {"id": "%s", "name": "closed loop: diverging and vanishing corners", "objective": "maximize-validation-accuracy",
                 "space": {"learningRate": {"type": "log-uniform", "min": 0.02, "max": 20},
                           "activation": {"type": "categorical", "values": ["sigmoid", "relu"]},
                           "weightInit": {"type": "categorical", "values": ["normal", "relu"]}},
                 "budget": {"trials": %d, "concurrentTrials": 1, "stepsPerTrial": %d, "rounds": 1},
                 "dataset": {"type": "blobs", "classes": 5, "features": 20, "noise": 1.0, "samples": 2000},
                 "model": {"hiddenLayers": [64, 64, 64, 64, 64, 64, 64, 64, 64, 64], "initStd": 0.05,
                           "optimizer": "sgd", "batchSize": 32, "validateEverySteps": 50},
                 "seed": 8}""".formatted(studyId, trials, stepsPerTrial);
        assertThat(stack.postJson(Service.TUNER, "/studies", study).statusCode()).isEqualTo(201);
        await().atMost(STUDY_TIMEOUT).pollInterval(Duration.ofSeconds(1))
                .until(() -> !"running".equals(study(studyId).path("status").asText()));
        JsonNode s = study(studyId);
        System.out.println(stack.get(Service.TUNER, "/studies/" + studyId + "/text").body());
        assertThat(s.path("status").asText()).isEqualTo("completed");
        List<JsonNode> board = StreamSupport.stream(s.path("leaderboard").spliterator(), false).toList();
        assertThat(board).hasSize(trials);

        List<String> diverging = new ArrayList<>();
        List<String> vanishing = new ArrayList<>();
        long stepsOfStopped = 0;
        for (JsonNode t : board) {
            String reason = t.path("stopReason").asText("");
            JsonNode hp = t.path("hyperparameters");
            double lr = hp.path("learningRate").asDouble();
            String activation = hp.path("activation").asText();
            String init = hp.path("weightInit").asText();
            String id = t.path("trialId").asText();
            if (activation.equals("relu") && lr >= 1) {
                assertThat(reason).as(id + " (ReLU, rate " + lr + ")").isIn("divergence", "exploding-gradients");
            }
            if (activation.equals("sigmoid") && init.equals("normal")) {
                assertThat(reason).as(id + " (sigmoid, N(0, 0.05))").isIn("vanishing-gradients", "bad-initialization",
                        "divergence", "exploding-gradients");
            }
            if (reason.equals("divergence") || reason.equals("exploding-gradients")) {
                diverging.add(id);
            } else if (reason.equals("vanishing-gradients") || reason.equals("bad-initialization")) {
                vanishing.add(id);
            } else {
                continue;
            }
            // Stopped early: well before the budget.
            assertThat(t.path("steps").asLong()).as(id + " steps").isLessThanOrEqualTo(stepsPerTrial / 2);
            stepsOfStopped += t.path("steps").asLong();
        }
        assertThat(diverging).as("trials stopped for divergence").isNotEmpty();
        assertThat(vanishing).as("trials stopped for vanishing gradients").isNotEmpty();
        // The budget went elsewhere: the doomed trials took little of it, a sane trial trained to its end and won.
        long total = s.path("stepsTrained").asLong();
        assertThat(total).isLessThan((long) (0.6 * trials * stepsPerTrial));
        assertThat(stepsOfStopped).isLessThan(total / 2);
        JsonNode best = board.get(0);
        assertThat(best.path("status").asText()).isEqualTo("completed");
        assertThat(best.path("best").asDouble()).isGreaterThan(0.9);
        // The study learnt from the divergences: its learning-rate ceiling came down from 20.
        assertThat(s.path("currentSpace").path("learningRate").path("max").asDouble()).isLessThan(20);
        System.out.printf(Locale.ROOT, "pathology study: %d steps of %d budgeted, stopped early: diverging %s, vanishing %s%n",
                total, trials * stepsPerTrial, diverging, vanishing);
    }

    private static double meanLoss(List<StepEvent> steps, long from, long to) {
        return steps.stream().filter(s -> s.step() >= from && s.step() <= to && Double.isFinite(s.loss()))
                .mapToDouble(StepEvent::loss).average().orElseThrow();
    }

    private JsonNode study(String id) throws IOException {
        HttpResponse<String> r = stack.get(Service.TUNER, "/studies/" + id);
        assertThat(r.statusCode()).isEqualTo(200);
        return EventCodec.MAPPER.readTree(r.body());
    }
}
