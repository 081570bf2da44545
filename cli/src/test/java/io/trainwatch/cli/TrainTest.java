package io.trainwatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.trainwatch.events.EventCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code trainwatch train} against a local HTTP server standing in for the trainer's REST API. */
class TrainTest {

    private final FakeService trainer = newService();
    private final Console console = new Console().with(Terminal.TRAINER_URL, trainer.url());

    private static FakeService newService() {
        try {
            return new FakeService();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void stop() {
        trainer.close();
    }

    private void accepts(String runId) {
        trainer.on("/runs", (x, r) -> {
            if (r.uri().equals("/runs")) {
                FakeService.json(x, 202, "{\"status\": \"pending\", \"scenario\": \"s\", \"runId\": \"" + runId + "\"}");
            }
        });
    }

    private void progress(String runId, String... lines) {
        AtomicInteger n = new AtomicInteger();
        trainer.on("/runs/" + runId + "/progress", (x, r) ->
                FakeService.text(x, 200, lines[Math.min(n.getAndIncrement(), lines.length - 1)] + "\n"));
    }

    private JsonNode posted() throws Exception {
        return EventCodec.MAPPER.readTree(trainer.requests.get(0).body());
    }

    @Test
    void quotesInScenarioAndSetValuesArriveAsTheStringsTheyAreWithoutExtraFields() throws Exception {
        accepts("r1");
        progress("r1", "status=completed step=10 epoch=0 loss=0.1000 accuracy=0.9000 lr=0.0100 reason=\"done\"");
        String scenario = "plateau\", \"steps\": 1, \"x\": \"";
        int exit = console.run("train", "--scenario", scenario, "--steps", "50", "--seed", "7",
                "--set", "activation=re\"lu", "--set", "we\"ird=1", "--set", "learningRate=0.01", "--set", "tag=1e",
                "--control", "suggest");
        assertThat(exit).as(console.err()).isZero();
        JsonNode body = posted();
        assertThat(body.path("scenario").asText()).isEqualTo(scenario);
        assertThat(body.path("activation").asText()).isEqualTo("re\"lu");
        assertThat(body.path("we\"ird").isIntegralNumber()).isTrue();
        assertThat(body.path("learningRate").isDouble()).isTrue();
        assertThat(body.path("learningRate").asDouble()).isEqualTo(0.01);
        assertThat(body.path("tag").asText()).as("not a JSON number: a string").isEqualTo("1e");
        assertThat(body.path("steps").asLong()).isEqualTo(50);
        assertThat(body.path("seed").asLong()).isEqualTo(7);
        assertThat(body.path("control").path("mode").asText()).isEqualTo("suggest");
        assertThat(body.has("x")).as("no injected field").isFalse();
    }

    @Test
    void printsTheRunIdThenItsProgressThenItsFinalStatus() {
        accepts("run-42");
        progress("run-42", "status=running step=1 epoch=0 loss=1.0000 accuracy=0.3000 lr=0.0100",
                "status=running step=2 epoch=0 loss=0.9000 accuracy=0.4000 lr=0.0100",
                "status=completed step=300 epoch=3 loss=0.1000 accuracy=0.9500 lr=0.0100 reason=\"reached 300 steps\"");
        assertThat(console.run("train", "--scenario", "healthy")).as(console.err()).isZero();
        List<String> lines = console.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("run-42");
        assertThat(lines.get(1)).isEqualTo("step=1 epoch=0 loss=1.0000 accuracy=0.3000 lr=0.0100");
        assertThat(lines).contains("step=300 epoch=3 loss=0.1000 accuracy=0.9500 lr=0.0100");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("run run-42 completed: reached 300 steps");
        assertThat(console.err()).isEmpty();
    }

    @Test
    void aFailedRunExitsWith1AndADivergedOneWith0() {
        accepts("f1");
        progress("f1", "status=failed step=3 epoch=0 loss=- accuracy=- lr=0.0100 reason=\"out of memory\"");
        assertThat(console.run("train", "--scenario", "healthy")).isEqualTo(1);
        assertThat(console.out()).contains("run f1 failed: out of memory");
    }

    @Test
    @Timeout(60) // the shell loop it replaces spun forever here
    void aTrainerThatDiesDuringTheRunEndsTheLoopWithOneLineAndStatus2() {
        accepts("d1");
        AtomicInteger n = new AtomicInteger();
        trainer.on("/runs/d1/progress", (x, r) -> {
            FakeService.text(x, 200, "status=running step=" + n.incrementAndGet() + " epoch=0 loss=1 accuracy=0 lr=0.1\n");
            if (n.get() == 3) {
                new Thread(trainer::stop).start();
            }
        });
        assertThat(console.run("train", "--scenario", "healthy")).isEqualTo(2);
        assertThat(console.err().lines()).singleElement().asString()
                .startsWith("train: the trainer at " + trainer.url() + " stopped answering (1 s) while run d1 was in progress");
    }

    @Test
    void aTrainerThatIsBusyForAMomentIsWaitedFor() {
        accepts("b1");
        AtomicInteger n = new AtomicInteger();
        trainer.on("/runs/b1/progress", (x, r) -> {
            if (n.incrementAndGet() <= 2) {
                FakeService.json(x, 503, "{\"error\": \"busy\"}");
            } else {
                FakeService.text(x, 200, "status=completed step=1 epoch=0 loss=1 accuracy=0 lr=0.1\n");
            }
        });
        assertThat(console.run("train", "--scenario", "healthy")).as(console.err()).isZero();
        assertThat(n.get()).isEqualTo(3);
        assertThat(console.out()).endsWith("run b1 completed\n");
    }

    @Test
    void aRunThatVanishesFromTheTrainerIsAnError() {
        accepts("v1");
        trainer.on("/runs/v1/progress", (x, r) -> FakeService.text(x, 404, "status=unknown\n"));
        assertThat(console.run("train", "--scenario", "healthy")).isEqualTo(1);
        assertThat(console.err()).isEqualTo("train: run v1 is gone from the trainer at " + trainer.url()
                + " (the trainer restarted?)\n");
    }

    @Test
    void aRefusedRunNamesTheTrainersReasonAndField() {
        trainer.on("/runs", (x, r) -> FakeService.json(x, 400,
                "{\"field\": \"scenario\", \"error\": \"unknown scenario 'nope'\"}"));
        assertThat(console.run("train", "--scenario", "nope")).isEqualTo(1);
        assertThat(console.err()).isEqualTo(
                "train: the trainer refused the run (HTTP 400): unknown scenario 'nope' (field scenario)\n");
    }

    @Test
    void anUnreachableTrainerIsOneLineWithStatus2() {
        String url = trainer.url();
        trainer.stop();
        assertThat(console.run("train", "--scenario", "healthy")).isEqualTo(2);
        assertThat(console.err().lines()).singleElement().asString()
                .startsWith("train: the trainer is not reachable at " + url + " (start it with ./trainwatch up)");
    }

    @Test
    void badArgumentsAreOneLineWithStatus2() {
        for (String[] args : List.of(new String[] {"train", "--steps", "many", "--scenario", "x"},
                new String[] {"train", "--scenario", "x", "--control", "sometimes"},
                new String[] {"train", "--bogus"},
                new String[] {"train"},
                new String[] {"train", "--scenario"},
                new String[] {"train", "--scenario", "x", "--set", "novalue"},
                new String[] {"train", "--config", "c.json", "--scenario", "x"},
                new String[] {"train", "--config", "/no/such/file.json"})) {
            Console c = new Console().with(Terminal.TRAINER_URL, trainer.url());
            assertThat(c.run(args)).as(String.join(" ", args)).isEqualTo(2);
            assertThat(c.err().lines()).as(String.join(" ", args)).singleElement().asString()
                    .startsWith("train: ").endsWith("(see: trainwatch train --help)");
        }
        assertThat(trainer.requests).as("nothing was sent").isEmpty();
    }

    @Test
    void aConfigFileGetsTheControlFieldAndIsSentAsItsJson(@TempDir Path dir) throws Exception {
        accepts("c1");
        progress("c1", "status=stopped step=5 epoch=0 loss=1 accuracy=0 lr=0.1 reason=\"stopped through the REST API\"");
        Path file = dir.resolve("run.json");
        Files.writeString(file, "{\"dataset\": \"iris\", \"hiddenLayers\": [8], \"name\": \"a \\\"quoted\\\" run\"}\n");
        assertThat(console.run("train", "--config", file.toString(), "--control", "off")).as(console.err()).isZero();
        JsonNode body = posted();
        assertThat(body.path("name").asText()).isEqualTo("a \"quoted\" run");
        assertThat(body.path("hiddenLayers").get(0).asInt()).isEqualTo(8);
        assertThat(body.path("control").path("mode").asText()).isEqualTo("off");

        Files.writeString(file, "{\"dataset\": \"iris\", \"control\": {\"mode\": \"auto\"}}");
        Console again = new Console().with(Terminal.TRAINER_URL, trainer.url());
        assertThat(again.run("train", "--config", file.toString(), "--control", "off")).isEqualTo(2);
        assertThat(again.err()).contains("has a control field already");
    }

    @Test
    void theTokenIsSentAsABearerHeader() {
        accepts("t1");
        progress("t1", "status=completed step=1 epoch=0 loss=1 accuracy=0 lr=0.1");
        console.with(Terminal.API_TOKEN, "s3cret");
        assertThat(console.run("train", "--scenario", "healthy")).isZero();
        assertThat(trainer.requests.get(0).authorization()).isEqualTo("Bearer s3cret");
        assertThat(console.out()).endsWith("run t1 completed\n");
    }
}
